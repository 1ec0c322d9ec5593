//! One-time messages of a session (notices, and secrets shown once: a new API token, an
//! invitation link), kept in the database so that the page after a redirect finds them on any
//! instance. They are sealed (ChaCha20-Poly1305) with a key derived from the session token, which
//! the database never holds (sessions are stored hashed): a reader of the database or a backup
//! cannot open them.

use crate::sealing;
use crate::{hash_secret, ServiceError, Services};
use ring::aead::{LessSafeKey, UnboundKey, CHACHA20_POLY1305};
use ring::digest::{digest, SHA256};
use serde::{de::DeserializeOwned, Serialize};

impl Services {
    /// Keeps `message` for the session's next page.
    pub async fn push_flash<T: Serialize>(&self, session: &str, message: &T) -> Result<(), ServiceError> {
        let plain = serde_json::to_vec(message).map_err(|e| {
            tracing::error!(error = %e, "a one-time message does not serialize");
            ServiceError::Internal
        })?;
        let sealed = seal(session, plain).ok_or(ServiceError::Internal)?;
        Ok(self.store.push_flash(&hash_secret(session), &sealed).await?)
    }

    /// Takes the session's waiting messages, oldest first; each is shown once. A message that
    /// cannot be opened or read (one written by another version) is left out, and logged.
    pub async fn take_flashes<T: DeserializeOwned>(&self, session: &str) -> Result<Vec<T>, ServiceError> {
        let sealed = self.store.take_flashes(&hash_secret(session)).await?;
        Ok(sealed
            .iter()
            .filter_map(|s| {
                let read = open(session, s).and_then(|plain| serde_json::from_slice(&plain).ok());
                if read.is_none() {
                    tracing::warn!("a one-time message could not be read; left out");
                }
                read
            })
            .collect())
    }
}

fn key(session: &str) -> LessSafeKey {
    let mut material = b"portcullis flash key\0".to_vec();
    material.extend_from_slice(session.as_bytes());
    let derived = digest(&SHA256, &material);
    LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, derived.as_ref()).expect("a SHA-256 digest is 32 bytes"))
}

fn seal(session: &str, plain: Vec<u8>) -> Option<String> {
    sealing::seal(&key(session), b"", plain)
}

fn open(session: &str, sealed: &str) -> Option<Vec<u8>> {
    sealing::open(&key(session), b"", sealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_session_opens_its_messages() {
        let sealed = seal("session-a", b"secret".to_vec()).unwrap();
        assert!(!sealed.contains(&hex::encode("secret")), "the text is not readable");
        assert_eq!(open("session-a", &sealed).unwrap(), b"secret");
        assert!(open("session-b", &sealed).is_none(), "another session's key fails");
        let mut tampered = sealed.clone();
        tampered.replace_range(30..32, if &sealed[30..32] == "00" { "01" } else { "00" });
        assert!(open("session-a", &tampered).is_none(), "a changed message fails");
        assert!(open("session-a", "zz").is_none() && open("session-a", "00").is_none());
        assert_ne!(
            sealed,
            seal("session-a", b"secret".to_vec()).unwrap(),
            "a fresh nonce each time"
        );
    }
}
