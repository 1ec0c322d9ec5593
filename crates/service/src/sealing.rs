//! Sealed storage (ChaCha20-Poly1305, random nonce): one-time messages under a key derived from
//! the session, push credentials under the server's secret key (`PORTCULLIS_SECRET_KEY`).

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use std::fmt;

/// The server's secret key for credentials it must use again (push TSIG secrets): 32 bytes.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl SecretKey {
    /// 32 bytes as 64 hex digits or base64 (what `openssl rand -base64 32` prints).
    pub fn parse(input: &str) -> Result<Self, String> {
        use base64::Engine;
        let input = input.trim();
        let bytes = hex::decode(input)
            .ok()
            .or_else(|| base64::engine::general_purpose::STANDARD.decode(input).ok())
            .ok_or("the secret key is 32 bytes as 64 hex digits or base64 (openssl rand -base64 32)")?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "the secret key must be exactly 32 bytes (openssl rand -base64 32)".to_string())?;
        Ok(Self(key))
    }

    pub(crate) fn aead(&self) -> LessSafeKey {
        LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &self.0).expect("32 bytes is a ChaCha20 key"))
    }
}

/// Hex of a random nonce followed by the sealed message and its tag; `context` is bound to it
/// (the message opens only with the same context).
pub(crate) fn seal(key: &LessSafeKey, context: &[u8], mut plain: Vec<u8>) -> Option<String> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut nonce);
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(context), &mut plain)
        .ok()?;
    let mut out = nonce.to_vec();
    out.append(&mut plain);
    Some(hex::encode(out))
}

pub(crate) fn open(key: &LessSafeKey, context: &[u8], sealed: &str) -> Option<Vec<u8>> {
    let bytes = hex::decode(sealed).ok()?;
    let (nonce, body) = bytes.split_at_checked(NONCE_LEN)?;
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut body = body.to_vec();
    let plain = key.open_in_place(nonce, Aad::from(context), &mut body).ok()?;
    Some(plain.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_from_hex_or_base64_and_only_at_32_bytes() {
        assert!(SecretKey::parse(&"ab".repeat(32)).is_ok());
        assert!(SecretKey::parse("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=").is_ok());
        assert!(SecretKey::parse(&"ab".repeat(16)).is_err());
        assert!(SecretKey::parse("not a key").is_err());
        assert_eq!(
            format!("{:?}", SecretKey::parse(&"ab".repeat(32)).unwrap()),
            "SecretKey(..)"
        );
    }

    #[test]
    fn sealed_text_opens_only_with_its_key_and_context() {
        let key = SecretKey::parse(&"01".repeat(32)).unwrap().aead();
        let other = SecretKey::parse(&"02".repeat(32)).unwrap().aead();
        let sealed = seal(&key, b"org 1", b"tsig secret".to_vec()).unwrap();
        assert!(!sealed.contains(&hex::encode("tsig secret")));
        assert_eq!(open(&key, b"org 1", &sealed).unwrap(), b"tsig secret");
        assert!(open(&key, b"org 2", &sealed).is_none(), "bound to its context");
        assert!(open(&other, b"org 1", &sealed).is_none(), "another key fails");
    }
}
