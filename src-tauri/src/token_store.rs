//! Where the sign-in token lives between runs: the OS keyring, never a plain file. On Linux the
//! Secret Service (GNOME Keyring, KWallet) when one answers on D-Bus, else the kernel keyring
//! (keyutils). The password is never stored anywhere.

use crate::error::{CommandError, CommandResult, LocalCode};
use keyring::Entry;

const SERVICE: &str = "clinic.documents.desktop";

/// The token for one server address.
pub struct TokenStore {
    account: String,
}

impl TokenStore {
    pub fn for_server(server_url: &str) -> Self {
        TokenStore { account: server_url.to_string() }
    }

    /// The stores to try, best first, each with the name used in messages.
    fn entries(&self) -> Vec<(&'static str, Entry)> {
        let mut out = Vec::new();
        #[cfg(target_os = "linux")]
        {
            if let Ok(c) = keyring::secret_service::SsCredential::new_with_target(None, SERVICE, &self.account) {
                out.push(("Secret Service", Entry::new_with_credential(Box::new(c))));
            }
            if let Ok(c) = keyring::keyutils::KeyutilsCredential::new_with_target(None, SERVICE, &self.account) {
                out.push(("kernel keyring", Entry::new_with_credential(Box::new(c))));
            }
        }
        #[cfg(not(target_os = "linux"))]
        if let Ok(e) = Entry::new(SERVICE, &self.account) {
            out.push(("keychain", e));
        }
        out
    }

    pub fn save(&self, token: &str) -> CommandResult<()> {
        let mut why = Vec::new();
        for (name, entry) in self.entries() {
            match entry.set_password(token) {
                Ok(()) => return Ok(()),
                Err(e) => why.push(format!("{name}: {e}")),
            }
        }
        Err(CommandError::local(
            LocalCode::Keyring,
            format!(
                "Signed in, but this computer's keyring would not keep the sign-in ({}). You will be asked to sign in again next time.",
                why.join("; ")
            ),
        ))
    }

    pub fn load(&self) -> Option<String> {
        self.entries().into_iter().find_map(|(_, e)| e.get_password().ok())
    }

    /// Removes the token from every store (sign out).
    pub fn delete(&self) {
        for (_, entry) in self.entries() {
            let _ = entry.delete_credential();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against the real keyring of the session it runs in: scripts/test.sh runs it inside
    /// tests/e2e/run.sh (a private D-Bus session with GNOME Keyring). `keyctl session -` gives
    /// a kernel keyring to try the fallback by hand.
    #[test]
    #[ignore = "needs a session keyring; scripts/test.sh runs it through tests/e2e/run.sh"]
    fn a_token_survives_in_the_os_keyring_and_sign_out_removes_it() {
        let store = TokenStore::for_server(&format!("http://127.0.0.1:1/{}", std::process::id()));
        store.save("tok-123").expect("save");
        assert_eq!(TokenStore::for_server(&store.account).load().as_deref(), Some("tok-123"));
        store.delete();
        assert_eq!(store.load(), None);
    }
}
