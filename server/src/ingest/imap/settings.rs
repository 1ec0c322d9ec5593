//! Where and how to poll: the mailbox URL (`imaps://user@host:port/Folder`), the folders, the
//! password and the TLS roots, checked when the configuration loads.

use rustls_pki_types::CertificateDer;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `imaps://`, TLS from the first byte (port 993).
    Tls,
    /// `imap://`, plain connection upgraded with STARTTLS before logging in (port 143).
    StartTls,
}

/// Where and how to poll. Built from the configuration by [`ImapSettings::new`].
#[derive(Clone)]
pub struct ImapSettings {
    pub security: Security,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub(super) password: String,
    pub folder: String,
    pub processed_folder: String,
    pub failed_folder: String,
    pub max_message_bytes: usize,
    pub(super) tls: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for ImapSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapSettings")
            .field("mailbox", &self.mailbox())
            .field("processed_folder", &self.processed_folder)
            .field("failed_folder", &self.failed_folder)
            .field("max_message_bytes", &self.max_message_bytes)
            .finish_non_exhaustive()
    }
}

/// The parts of an `imaps://user@host:port/Folder` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxUrl {
    pub security: Security,
    pub user: String,
    pub host: String,
    pub port: u16,
    pub folder: String,
}

impl MailboxUrl {
    /// `imaps://USER@HOST[:PORT][/FOLDER]` or `imap://…` (STARTTLS). The user may be an e-mail
    /// address (the last `@` ends it) and may be percent-encoded; the folder defaults to INBOX.
    /// A password in the URL is refused: it belongs in `imap_password(_file)`, never in a URL
    /// that ends up in logs.
    pub fn parse(url: &str) -> Result<Self, String> {
        let (security, rest) = if let Some(rest) = url.strip_prefix("imaps://") {
            (Security::Tls, rest)
        } else if let Some(rest) = url.strip_prefix("imap://") {
            (Security::StartTls, rest)
        } else {
            return Err("imap_url must start with imaps:// or imap:// (STARTTLS)".into());
        };
        let (authority, folder) = match rest.split_once('/') {
            Some((a, f)) => (a, percent_decode(f)?),
            None => (rest, String::new()),
        };
        let folder = if folder.is_empty() { "INBOX".to_string() } else { folder };
        let Some((user, host_port)) = authority.rsplit_once('@') else {
            return Err("imap_url needs the mailbox user: imaps://USER@HOST/FOLDER".into());
        };
        if user.contains(':') {
            return Err("imap_url must not hold the password; set imap_password or imap_password_file".into());
        }
        let user = percent_decode(user)?;
        if user.is_empty() {
            return Err("imap_url needs the mailbox user: imaps://USER@HOST/FOLDER".into());
        }
        let default_port = match security {
            Security::Tls => 993,
            Security::StartTls => 143,
        };
        let (host, port) = split_host_port(host_port, default_port)?;
        check_folder_name(&folder, "imap_url's folder")?;
        Ok(Self {
            security,
            user,
            host,
            port,
            folder,
        })
    }
}

fn split_host_port(text: &str, default_port: u16) -> Result<(String, u16), String> {
    let bad_port = |p: &str| format!("imap_url has an invalid port {p:?}");
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        // [IPv6]:port
        let (host, after) = rest.split_once(']').ok_or("imap_url has an unclosed [ in its host")?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| bad_port(p))?,
            None => default_port,
        };
        (host.to_string(), port)
    } else {
        match text.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse().map_err(|_| bad_port(p))?),
            None => (text.to_string(), default_port),
        }
    };
    if host.is_empty() || port == 0 {
        return Err("imap_url needs a host: imaps://USER@HOST/FOLDER".into());
    }
    Ok((host, port))
}

/// Folder names go into IMAP commands quoted; control characters and quotes have no place in
/// them, and non-ASCII names would need modified UTF-7.
fn check_folder_name(name: &str, what: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 200 {
        return Err(format!("{what} must be 1 to 200 characters"));
    }
    if !name.chars().all(|c| c.is_ascii_graphic() || c == ' ') || name.contains(['"', '\\', '*', '%']) {
        return Err(format!(
            "{what} {name:?} must be plain ASCII without quotes, backslashes or wildcards"
        ));
    }
    Ok(())
}

fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("imap_url has a bad %-escape near {:?}", &text[i..]))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "imap_url's %-escapes are not UTF-8".to_string())
}

impl ImapSettings {
    /// `extra_roots`: trusted besides the Mozilla roots (a private CA in front of the mailbox).
    pub fn new(
        url: MailboxUrl,
        password: String,
        processed_folder: String,
        failed_folder: String,
        max_message_bytes: usize,
        extra_roots: &[CertificateDer<'static>],
    ) -> Result<Self, String> {
        check_folder_name(&processed_folder, "imap_processed_folder")?;
        check_folder_name(&failed_folder, "imap_failed_folder")?;
        for (name, key) in [
            (&processed_folder, "imap_processed_folder"),
            (&failed_folder, "imap_failed_folder"),
        ] {
            if name.eq_ignore_ascii_case(&url.folder) {
                return Err(format!("{key} must differ from the polled folder {:?}", url.folder));
            }
        }
        if password.is_empty() {
            return Err("imap_url is set but no password: set imap_password or imap_password_file".into());
        }
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for root in extra_roots {
            roots
                .add(root.clone())
                .map_err(|e| format!("imap_ca_file: not a usable CA certificate ({e})"))?;
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            security: url.security,
            host: url.host,
            port: url.port,
            user: url.user,
            password,
            folder: url.folder,
            processed_folder,
            failed_folder,
            max_message_bytes,
            tls: Arc::new(tls),
        })
    }

    /// `user@host:port/folder`, for logs and messages (never the password).
    pub fn mailbox(&self) -> String {
        format!("{}@{}:{}/{}", self.user, self.host, self.port, self.folder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailbox_urls() {
        let url = MailboxUrl::parse("imaps://tlsrpt%40example.com@imap.example.com/Reports/TLS").unwrap();
        assert_eq!(
            url,
            MailboxUrl {
                security: Security::Tls,
                user: "tlsrpt@example.com".into(),
                host: "imap.example.com".into(),
                port: 993,
                folder: "Reports/TLS".into(),
            }
        );
        let url = MailboxUrl::parse("imap://reports@example.com@[::1]:1143").unwrap();
        assert_eq!(
            (
                url.security,
                url.user.as_str(),
                url.host.as_str(),
                url.port,
                url.folder.as_str()
            ),
            (Security::StartTls, "reports@example.com", "::1", 1143, "INBOX")
        );
        for (bad, says) in [
            ("https://u@h/", "imaps://"),
            ("imaps://h/INBOX", "user"),
            ("imaps://u:secret@h/", "must not hold the password"),
            ("imaps://u@h:99999/", "invalid port"),
            ("imaps://u@/", "needs a host"),
            ("imaps://u@h/In\"box", "plain ASCII"),
            ("imaps://u%zz@h/", "%-escape"),
        ] {
            let err = MailboxUrl::parse(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
            assert!(!err.contains("secret"), "{err}");
        }
    }

    #[test]
    fn settings_refuse_clashing_folders_and_a_missing_password() {
        let url = MailboxUrl::parse("imaps://u@h/INBOX").unwrap();
        let new = |password: &str, processed: &str| {
            ImapSettings::new(
                url.clone(),
                password.into(),
                processed.into(),
                "Failed".into(),
                1024,
                &[],
            )
        };
        assert!(new("pw", "inbox").unwrap_err().contains("must differ"));
        assert!(new("", "Processed").unwrap_err().contains("no password"));
        let ok = new("pw", "Processed").unwrap();
        assert_eq!(ok.mailbox(), "u@h:993/INBOX");
        assert!(!format!("{ok:?}").contains("pw\""));
    }
}
