//! Where an alert goes, validated when parsed: an e-mail address or an http(s) URL.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Email(String),
    /// A generic JSON POST.
    Webhook(url::Url),
    /// A Slack-compatible incoming webhook (`{"text": …}`).
    Slack(url::Url),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TargetError(pub String);

impl Target {
    /// `kind` is `email`, `webhook` or `slack`.
    pub fn parse(kind: &str, target: &str) -> Result<Self, TargetError> {
        let target = target.trim();
        if target.is_empty() {
            return Err(TargetError("enter an e-mail address or a URL".into()));
        }
        if target.len() > 500 {
            return Err(TargetError("at most 500 characters".into()));
        }
        match kind {
            "email" => {
                let mailbox: Result<lettre::Address, _> = target.parse();
                match mailbox {
                    Ok(a) => Ok(Self::Email(a.to_string())),
                    Err(_) => Err(TargetError(format!("{target:?} is not an e-mail address"))),
                }
            }
            "webhook" | "slack" => {
                let url = url::Url::parse(target).map_err(|e| TargetError(format!("{target:?} is not a URL: {e}")))?;
                if url.scheme() != "https" && url.scheme() != "http" {
                    return Err(TargetError("the URL must start with https:// (or http://)".into()));
                }
                if url.host_str().is_none_or(str::is_empty) {
                    return Err(TargetError("the URL names no host".into()));
                }
                if !url.username().is_empty() || url.password().is_some() {
                    return Err(TargetError(
                        "put credentials in the URL's path or query, as Slack does, not before the host".into(),
                    ));
                }
                Ok(if kind == "slack" {
                    Self::Slack(url)
                } else {
                    Self::Webhook(url)
                })
            }
            other => Err(TargetError(format!(
                "unknown channel kind {other:?}: use email, webhook or slack"
            ))),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Email(_) => "email",
            Self::Webhook(_) => "webhook",
            Self::Slack(_) => "slack",
        }
    }

    /// The stored form.
    pub fn value(&self) -> String {
        match self {
            Self::Email(a) => a.clone(),
            Self::Webhook(u) | Self::Slack(u) => u.to_string(),
        }
    }
}

impl fmt::Display for Target {
    /// Webhook URLs carry their secret in the path or query (Slack's do): show only the origin.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Email(a) => f.write_str(a),
            Self::Webhook(u) | Self::Slack(u) => write!(f, "{}://{}/…", u.scheme(), u.host_str().unwrap_or("")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        assert_eq!(
            Target::parse("email", " ops@example.com ").unwrap(),
            Target::Email("ops@example.com".into())
        );
        assert!(Target::parse("email", "not an address").is_err());
        let slack = Target::parse("slack", "https://hooks.slack.com/services/T0/B0/secret").unwrap();
        assert_eq!(slack.kind(), "slack");
        assert_eq!(
            slack.to_string(),
            "https://hooks.slack.com/…",
            "the secret path is not shown"
        );
        assert!(Target::parse("webhook", "ftp://example.com/x").is_err());
        assert!(Target::parse("webhook", "https://user:pw@example.com/x").is_err());
        assert!(Target::parse("webhook", "not a url").is_err());
        assert!(Target::parse("pager", "x").is_err());
        assert!(Target::parse("webhook", "").is_err());
    }
}
