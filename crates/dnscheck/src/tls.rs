//! TLS as a sending MTA sees it: a WebPKI verdict on the certificate for the name, the protocol
//! version and the expiry date. The handshake is allowed to complete even when the certificate is
//! bad, so that one check can report everything that is wrong at once; nothing secret is sent.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CertVerdict {
    Valid,
    WrongName,
    Expired,
    Untrusted(String),
}

/// What the handshake showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsFacts {
    pub version: String,
    pub verdict: CertVerdict,
    /// The leaf's notAfter (Unix seconds).
    pub not_after: Option<i64>,
    /// The leaf's DNS names, to say what the certificate does cover.
    pub names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFailure {
    /// The peer speaks no TLS version we accept (1.2 or 1.3).
    pub old_version: bool,
    pub message: String,
    /// The certificate, when the handshake got that far.
    pub facts: Option<TlsFacts>,
}

#[derive(Clone)]
pub struct TlsClient {
    webpki: Arc<WebPkiServerVerifier>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl std::fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsClient").finish_non_exhaustive()
    }
}

impl TlsClient {
    /// The Mozilla roots senders use, plus `extra_roots` (a test CA).
    pub fn new(extra_roots: &[CertificateDer<'static>]) -> Result<Self, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for root in extra_roots {
            roots.add(root.clone()).map_err(|e| format!("extra root: {e}"))?;
        }
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { webpki, provider })
    }

    pub async fn handshake<S>(&self, stream: S, name: &str) -> Result<(TlsStream<S>, TlsFacts), TlsFailure>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let recorder = Arc::new(Recorder {
            inner: self.webpki.clone(),
            seen: Mutex::new(None),
        });
        let config = ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| failure(false, e.to_string(), None))?
            .dangerous()
            .with_custom_certificate_verifier(recorder.clone())
            .with_no_client_auth();
        let server_name = ServerName::try_from(name.to_string()).map_err(|e| failure(false, e.to_string(), None))?;
        let result = TlsConnector::from(Arc::new(config)).connect(server_name, stream).await;
        let facts = |version: String| recorder.facts(version);
        match result {
            Ok(tls) => {
                let version = tls
                    .get_ref()
                    .1
                    .protocol_version()
                    .map(|v| format!("{v:?}").replace("TLSv1_", "TLS 1."))
                    .unwrap_or_default();
                let facts = facts(version).unwrap_or(TlsFacts {
                    version: String::new(),
                    verdict: CertVerdict::Untrusted("no certificate was presented".into()),
                    not_after: None,
                    names: Vec::new(),
                });
                Ok((tls, facts))
            }
            Err(e) => {
                let message = e.to_string();
                let old = message.contains("ProtocolVersion") || message.contains("protocol version");
                Err(failure(old, message, facts(String::new())))
            }
        }
    }
}

fn failure(old_version: bool, message: String, facts: Option<TlsFacts>) -> TlsFailure {
    TlsFailure {
        old_version,
        message,
        facts,
    }
}

#[derive(Debug)]
struct Recorder {
    inner: Arc<WebPkiServerVerifier>,
    seen: Mutex<Option<(CertificateDer<'static>, Result<(), Error>)>>,
}

impl Recorder {
    fn facts(&self, version: String) -> Option<TlsFacts> {
        let seen = self.seen.lock().unwrap();
        let (der, result) = seen.as_ref()?;
        let verdict = match result {
            Ok(()) => CertVerdict::Valid,
            Err(Error::InvalidCertificate(CertificateError::Expired | CertificateError::ExpiredContext { .. })) => {
                CertVerdict::Expired
            }
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => CertVerdict::WrongName,
            Err(e) => CertVerdict::Untrusted(e.to_string()),
        };
        let (not_after, names) = leaf_details(der);
        Some(TlsFacts {
            version,
            verdict,
            not_after,
            names,
        })
    }
}

fn leaf_details(der: &CertificateDer<'_>) -> (Option<i64>, Vec<String>) {
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der.as_ref()) else {
        return (None, Vec::new());
    };
    let names = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    x509_parser::extensions::GeneralName::DNSName(d) => Some(d.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    (Some(cert.validity().not_after.timestamp()), names)
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let result = self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map(|_| ());
        *self.seen.lock().unwrap() = Some((end_entity.clone().into_owned(), result));
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
