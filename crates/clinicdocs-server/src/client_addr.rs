//! The client's address, as the sign-in pauses and the audit log need it. Connected directly,
//! it is the connection's peer. Behind a reverse proxy that terminates TLS, every connection
//! comes from the proxy, so for peers named in `CLINICDOCS_TRUSTED_PROXIES` the address is
//! taken from `X-Forwarded-For`: the rightmost entry that is not itself a trusted proxy (the one
//! the nearest trusted proxy wrote; what the client wrote further left is never believed). A
//! peer that is not trusted is taken as it is, whatever headers it sends.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The reverse proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<[IpAddr]>);

impl TrustedProxies {
    pub fn new(proxies: &[IpAddr]) -> TrustedProxies {
        TrustedProxies(proxies.iter().map(|ip| ip.to_canonical()).collect())
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.contains(&ip.to_canonical())
    }

    /// The client behind `peer`, given the request's headers (see the module).
    pub fn client_of(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.iter().rev() {
            match parse_hop(hop) {
                Some(ip) if self.trusts(ip) => continue,
                Some(ip) => return ip.to_canonical(),
                // Not an address the proxy wrote: nothing left of it can be believed.
                None => return peer,
            }
        }
        peer
    }
}

/// `203.0.113.7`, `2001:db8::1`, or either with a port (`203.0.113.7:4711`, `[2001:db8::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>().ok().or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// The client's address of a request, put there by the connection that received it.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

/// The client's address, when the server knows it (as text, as the audit log stores it).
#[derive(Debug, Clone, Default)]
pub struct ClientAddr(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(parts.extensions.get::<ClientIp>().map(|c| c.0.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().expect("header"));
        }
        h
    }

    #[test]
    fn an_untrusted_peer_is_taken_as_it_is_whatever_it_claims() {
        let t = TrustedProxies::new(&[ip("10.0.0.2")]);
        assert_eq!(t.client_of(ip("198.51.100.9"), &xff(&["203.0.113.7"])), ip("198.51.100.9"));
        assert_eq!(TrustedProxies::default().client_of(ip("127.0.0.1"), &xff(&["1.1.1.1"])), ip("127.0.0.1"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() {
        let t = TrustedProxies::new(&[ip("10.0.0.2"), ip("10.0.0.3")]);
        let peer = ip("10.0.0.2");
        assert_eq!(t.client_of(peer, &xff(&["203.0.113.7"])), ip("203.0.113.7"));
        // What the client wrote itself stays to the left and is not believed.
        assert_eq!(t.client_of(peer, &xff(&["6.6.6.6, 203.0.113.7"])), ip("203.0.113.7"));
        // Two proxies in a row, and the header split over two lines.
        assert_eq!(t.client_of(peer, &xff(&["6.6.6.6, 203.0.113.7", "10.0.0.3"])), ip("203.0.113.7"));
        assert_eq!(t.client_of(peer, &xff(&["[2001:db8::1]:443"])), ip("2001:db8::1"));
        assert_eq!(t.client_of(peer, &xff(&["203.0.113.7:4711"])), ip("203.0.113.7"));
        assert_eq!(t.client_of(peer, &xff(&["::ffff:203.0.113.7"])), ip("203.0.113.7"));
    }

    #[test]
    fn a_missing_or_garbled_header_leaves_the_proxy_as_the_address() {
        let t = TrustedProxies::new(&[ip("10.0.0.2")]);
        let peer = ip("10.0.0.2");
        assert_eq!(t.client_of(peer, &HeaderMap::new()), peer);
        assert_eq!(t.client_of(peer, &xff(&["203.0.113.7, not-an-address"])), peer);
        assert_eq!(t.client_of(peer, &xff(&["10.0.0.2"])), peer);
        assert_eq!(t.client_of(peer, &xff(&[""])), peer);
    }
}
