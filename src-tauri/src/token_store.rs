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

    /// The stores to try, best first.
    fn entries(&self) -> Vec<Entry> {
        let mut out = Vec::new();
        #[cfg(target_os = "linux")]
        {
            if let Ok(c) = keyring::secret_service::SsCredential::new_with_target(None, SERVICE, &self.account) {
                out.push(Entry::new_with_credential(Box::new(c)));
            }
            if let Ok(c) = keyring::keyutils::KeyutilsCredential::new_with_target(None, SERVICE, &self.account) {
                out.push(Entry::new_with_credential(Box::new(c)));
            }
        }
        #[cfg(not(target_os = "linux"))]
        if let Ok(e) = Entry::new(SERVICE, &self.account) {
            out.push(e);
        }
        out
    }

    pub fn save(&self, token: &str) -> CommandResult<()> {
        let mut last = String::from("no keyring is available");
        for entry in self.entries() {
            match entry.set_password(token) {
                Ok(()) => return Ok(()),
                Err(e) => last = e.to_string(),
            }
        }
        Err(CommandError::local(
            LocalCode::Keyring,
            format!("Signed in, but this computer's keyring would not keep the sign-in ({last}). You will be asked to sign in again next time."),
        ))
    }

    pub fn load(&self) -> Option<String> {
        self.entries().into_iter().find_map(|e| e.get_password().ok())
    }

    /// Removes the token from every store (sign out).
    pub fn delete(&self) {
        for entry in self.entries() {
            let _ = entry.delete_credential();
        }
    }
}
