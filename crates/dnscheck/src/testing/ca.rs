//! A test certificate authority issuing valid, expired and wrong-name certificates.

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::CertifiedKey;
use std::sync::Arc;

pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl TestCa {
    pub fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("empty SAN list");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "Portcullis Test Root");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().expect("keygen")).expect("self-sign");
        Self { issuer }
    }

    /// The root, for `CheckSettings::extra_roots`.
    pub fn root(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    pub fn root_pem(&self) -> String {
        self.issuer.pem()
    }

    /// A leaf for `names` valid from `days_from_now.0` to `days_from_now.1` days from now.
    pub fn issue(&self, names: &[&str], days_from_now: (i64, i64)) -> Arc<CertifiedKey> {
        let (chain, key) = self.issue_der(names, days_from_now);
        let provider = rustls::crypto::ring::default_provider();
        Arc::new(CertifiedKey::from_der(chain, key, &provider).expect("test key loads"))
    }

    /// The same as PEM: (certificate chain, private key).
    pub fn issue_pem(&self, names: &[&str], days_from_now: (i64, i64)) -> (String, String) {
        let (chain, key) = self.issue_der(names, days_from_now);
        let pem = |label: &str, der: &[u8]| {
            let b64 = base64_encode(der);
            let lines: Vec<&str> = b64
                .as_bytes()
                .chunks(64)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect();
            format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
        };
        let chain_pem: String = chain.iter().map(|c| pem("CERTIFICATE", c.as_ref())).collect();
        (chain_pem, pem("PRIVATE KEY", key.secret_der()))
    }

    pub fn issue_der(
        &self,
        names: &[&str],
        days_from_now: (i64, i64),
    ) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).expect("valid names");
        let now = time_now();
        params.not_before = now + time::Duration::days(days_from_now.0);
        params.not_after = now + time::Duration::days(days_from_now.1);
        let key = KeyPair::generate().expect("keygen");
        let cert = params.signed_by(&key, &self.issuer).expect("sign");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        (vec![cert.der().clone(), self.root()], key)
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

fn base64_encode(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
