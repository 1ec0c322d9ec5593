//! What each RFC 8460 result type means for the domain owner and what to do about it, grouped
//! as the RFC groups them: TLS negotiation, MTA-STS policy, DANE.

use super::model::ResultType;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultCategory {
    Negotiation,
    MtaSts,
    Dane,
    Other,
}

impl ResultCategory {
    pub fn label(self) -> &'static str {
        match self {
            Self::Negotiation => "TLS negotiation",
            Self::MtaSts => "MTA-STS policy",
            Self::Dane => "DANE",
            Self::Other => "Other",
        }
    }
}

impl ResultType {
    pub fn category(&self) -> ResultCategory {
        match self {
            Self::StarttlsNotSupported
            | Self::CertificateHostMismatch
            | Self::CertificateExpired
            | Self::CertificateNotTrusted
            | Self::ValidationFailure => ResultCategory::Negotiation,
            Self::StsPolicyFetchError | Self::StsPolicyInvalid | Self::StsWebpkiInvalid => ResultCategory::MtaSts,
            Self::TlsaInvalid | Self::DnssecInvalid | Self::DaneRequired => ResultCategory::Dane,
            Self::Other(_) => ResultCategory::Other,
        }
    }

    /// What happened, in plain words.
    pub fn meaning(&self) -> &'static str {
        match self {
            Self::StarttlsNotSupported => "The receiving MX did not offer STARTTLS, so the sender could not encrypt the session.",
            Self::CertificateHostMismatch => "The MX certificate does not name the MX host the sender connected to.",
            Self::CertificateExpired => "The MX certificate had expired.",
            Self::CertificateNotTrusted => "The MX certificate is not signed by a CA the sender trusts (self-signed, or an incomplete chain).",
            Self::ValidationFailure => "The TLS session failed for another reason (for example a protocol or cipher mismatch).",
            Self::StsPolicyFetchError => "The sender could not fetch https://mta-sts.<domain>/.well-known/mta-sts.txt (DNS, connection, HTTP status or redirect).",
            Self::StsPolicyInvalid => "The policy the sender fetched could not be parsed.",
            Self::StsWebpkiInvalid => "The certificate of the mta-sts.<domain> policy host did not validate.",
            Self::TlsaInvalid => "The TLSA records of the MX did not match its certificate.",
            Self::DnssecInvalid => "DNSSEC validation failed for the MX or its TLSA records.",
            Self::DaneRequired => "DANE was required but the MX has no usable TLSA records.",
            Self::Other(_) => "A result type this version does not know; see the sender's reason code.",
        }
    }

    /// What to change.
    pub fn fix(&self) -> &'static str {
        match self {
            Self::StarttlsNotSupported => "Enable STARTTLS on every MX host named in the policy.",
            Self::CertificateHostMismatch => "Use a certificate that names each MX host, or change the policy's mx patterns to the names the certificate covers.",
            Self::CertificateExpired => "Renew the MX certificate and automate renewal.",
            Self::CertificateNotTrusted => "Use a certificate from a public CA and serve the full chain.",
            Self::ValidationFailure => "Allow TLS 1.2 or later with current ciphers; check the MX's TLS logs at the times shown.",
            Self::StsPolicyFetchError => "Check the DNS section: the mta-sts host must resolve to this server and answer over HTTPS with status 200.",
            Self::StsPolicyInvalid => "Re-save the policy here; if a proxy sits in front, make sure it serves the text unchanged.",
            Self::StsWebpkiInvalid => "Check the policy host's certificate in the DNS section (name, expiry, chain).",
            Self::TlsaInvalid => "Update the TLSA records after certificate or key changes (publish the new record first).",
            Self::DnssecInvalid => "Fix the zone's DNSSEC signatures and DS records.",
            Self::DaneRequired => "Publish TLSA records for the MX, or stop requiring DANE.",
            Self::Other(_) => "Read the sender's failure-reason-code and additional information.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_type_has_a_category_and_advice() {
        for text in ResultType::KNOWN {
            let t = ResultType::parse(text);
            assert_ne!(t.category(), ResultCategory::Other, "{text}");
            assert!(!t.meaning().is_empty() && !t.fix().is_empty());
        }
        assert_eq!(
            ResultType::parse("sts-webpki-invalid").category(),
            ResultCategory::MtaSts
        );
        assert_eq!(ResultType::parse("dane-required").category(), ResultCategory::Dane);
        assert_eq!(ResultType::parse("x-new").category(), ResultCategory::Other);
    }
}
