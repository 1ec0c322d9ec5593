//! What an alert is about. The codes are stored and sent to webhooks: add, never rename.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// The DNS check's status became "error".
    DnsError,
    /// A live MX is not covered by the enforced policy.
    MxDrift,
    /// A policy-host or MX certificate expires within the warning period (or has expired).
    CertExpiring,
    /// Obtaining or renewing the policy host's certificate failed.
    RenewalFailed,
    /// TLS-RPT reports show more MTA-STS-relevant failures than the threshold.
    FailureRate,
    /// The `_mta-sts` record still carries an old id a day after the policy changed.
    DnsIdStale,
    /// A sending organisation that reports regularly missed two expected days.
    SenderSilent,
    /// A domain that gets reports got none on three expected days (a broken `rua` or mailbox).
    ReportsStopped,
}

impl AlertKind {
    pub const ALL: [AlertKind; 8] = [
        Self::DnsError,
        Self::MxDrift,
        Self::CertExpiring,
        Self::RenewalFailed,
        Self::FailureRate,
        Self::DnsIdStale,
        Self::SenderSilent,
        Self::ReportsStopped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DnsError => "dns_error",
            Self::MxDrift => "mx_drift",
            Self::CertExpiring => "cert_expiring",
            Self::RenewalFailed => "renewal_failed",
            Self::FailureRate => "failure_rate",
            Self::DnsIdStale => "dns_id_stale",
            Self::SenderSilent => "sender_silent",
            Self::ReportsStopped => "reports_stopped",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::DnsError => "DNS error",
            Self::MxDrift => "MX drift",
            Self::CertExpiring => "Certificate expiring",
            Self::RenewalFailed => "Certificate renewal failing",
            Self::FailureRate => "TLS failure rate above threshold",
            Self::DnsIdStale => "DNS id not updated",
            Self::SenderSilent => "Sender stopped reporting",
            Self::ReportsStopped => "No reports arriving",
        }
    }

    /// The title of a stored code, or the code itself when this version does not know it.
    pub fn title_of(code: &str) -> String {
        Self::parse(code)
            .map(|k| k.title().to_string())
            .unwrap_or_else(|| code.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for k in AlertKind::ALL {
            assert_eq!(AlertKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        assert_eq!(AlertKind::title_of("mx_drift"), "MX drift");
        assert_eq!(AlertKind::title_of("new_kind"), "new_kind");
    }
}
