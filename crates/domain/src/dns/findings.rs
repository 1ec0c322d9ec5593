//! What one DNS check run reports: findings with a stable code, a severity, what was seen, what
//! was expected and how to fix it. Codes are part of the API: add, never rename.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Ok,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A domain's DNS status: the worst severity of its latest check, or never checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Warning,
    Error,
    NeverChecked,
}

impl Status {
    pub fn of(findings: &[Finding]) -> Self {
        match findings.iter().map(|f| f.severity).max() {
            Some(Severity::Error) => Status::Error,
            Some(Severity::Warning) => Status::Warning,
            _ => Status::Ok,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Error => "error",
            Status::NeverChecked => "never_checked",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "ok" => Status::Ok,
            "warning" => Status::Warning,
            "error" => Status::Error,
            _ => Status::NeverChecked,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "DNS ok",
            Status::Warning => "DNS warning",
            Status::Error => "DNS error",
            Status::NeverChecked => "never checked",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// A [`FindingCode`] string; kept as text so that history written by another version loads.
    pub code: String,
    pub severity: Severity,
    /// The name the finding is about (`_mta-sts.example.com`, an MX host, …).
    pub subject: String,
    pub seen: String,
    pub expected: String,
    /// Empty when there is nothing to fix.
    pub fix: String,
}

impl Finding {
    pub fn new(code: FindingCode, severity: Severity, subject: impl Into<String>) -> Self {
        Self {
            code: code.as_str().to_string(),
            severity,
            subject: subject.into(),
            seen: String::new(),
            expected: String::new(),
            fix: String::new(),
        }
    }

    pub fn seen(mut self, s: impl Into<String>) -> Self {
        self.seen = s.into();
        self
    }

    pub fn expected(mut self, s: impl Into<String>) -> Self {
        self.expected = s.into();
        self
    }

    pub fn fix(mut self, s: impl Into<String>) -> Self {
        self.fix = s.into();
        self
    }
}

macro_rules! codes {
    ($($variant:ident => $code:literal: $title:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum FindingCode { $($variant,)* }

        impl FindingCode {
            pub const ALL: &'static [FindingCode] = &[$(FindingCode::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(FindingCode::$variant => $code,)* }
            }

            /// A short heading for the finding, for lists and alerts.
            pub fn title(self) -> &'static str {
                match self { $(FindingCode::$variant => $title,)* }
            }

            pub fn parse(code: &str) -> Option<Self> {
                match code { $($code => Some(FindingCode::$variant),)* _ => None }
            }
        }
    };
}

codes! {
    LookupFailed => "dns-lookup-failed": "A DNS look-up failed",
    PolicyNotConfigured => "policy-not-configured": "No policy is hosted here yet",
    ProofMissing => "proof-missing": "Control of the domain is not proven yet",
    ProofByDelegation => "proof-delegation": "Control proven by a delegation CNAME",
    ProofByTxt => "proof-txt": "Control proven by the TXT token",
    DelegationOk => "delegation-ok": "Records delegated to this server",
    DelegationMissing => "delegation-missing": "A delegation CNAME is missing",
    DelegationWrong => "delegation-wrong": "A delegation CNAME points elsewhere",
    StsRecordOk => "sts-record-ok": "_mta-sts record is correct",
    StsRecordMissing => "sts-record-missing": "_mta-sts record is missing",
    StsRecordMultiple => "sts-record-multiple": "Several _mta-sts records",
    StsRecordSyntax => "sts-record-syntax": "_mta-sts record is malformed",
    StsRecordUnknownTag => "sts-record-unknown-tag": "_mta-sts record has an unknown tag",
    StsRecordIdMismatch => "sts-record-id-mismatch": "_mta-sts id differs from the served policy",
    StsRecordAtApex => "sts-record-at-apex": "MTA-STS record published at the domain itself",
    StsRecordCname => "sts-record-cname": "_mta-sts record reached through a CNAME",
    PolicyHostOk => "policy-host-ok": "mta-sts host points at this server",
    PolicyHostMissing => "policy-host-missing": "mta-sts host does not resolve",
    PolicyHostElsewhere => "policy-host-elsewhere": "mta-sts host points elsewhere",
    PolicyHostPrivate => "policy-host-private": "mta-sts host resolves to a private address",
    PolicyFetchOk => "policy-fetch-ok": "Policy fetch works as senders do it",
    PolicyFetchConnect => "policy-fetch-connect": "Policy host cannot be reached",
    PolicyFetchTlsVersion => "policy-fetch-tls-version": "Policy host offers only old TLS",
    PolicyFetchCertName => "policy-fetch-cert-name": "Policy host certificate has the wrong name",
    PolicyFetchCertExpired => "policy-fetch-cert-expired": "Policy host certificate has expired",
    PolicyFetchCertUntrusted => "policy-fetch-cert-untrusted": "Policy host certificate is not trusted",
    PolicyFetchCertExpiring => "policy-fetch-cert-expiring": "Policy host certificate expires soon",
    PolicyFetchRedirect => "policy-fetch-redirect": "Policy URL redirects",
    PolicyFetchStatus => "policy-fetch-status": "Policy URL does not answer 200",
    PolicyFetchContentType => "policy-fetch-content-type": "Policy is not served as text/plain",
    PolicyFetchTooLarge => "policy-fetch-too-large": "Policy is larger than 64 KiB",
    PolicyFetchInvalid => "policy-fetch-invalid": "Served policy does not parse",
    PolicyFetchMismatch => "policy-fetch-mismatch": "Served policy differs from the current one",
    TlsRptRecordOk => "tlsrpt-record-ok": "_smtp._tls record is correct",
    TlsRptRecordMissing => "tlsrpt-record-missing": "_smtp._tls record is missing",
    TlsRptRecordMultiple => "tlsrpt-record-multiple": "Several _smtp._tls records",
    TlsRptRecordSyntax => "tlsrpt-record-syntax": "_smtp._tls record is malformed",
    TlsRptRuaInvalid => "tlsrpt-rua-invalid": "_smtp._tls report address is invalid",
    TlsRptRuaElsewhere => "tlsrpt-rua-elsewhere": "Reports are not sent to this server",
    MxCovered => "mx-covered": "MX is covered by the policy",
    MxUncovered => "mx-uncovered": "MX is not covered by the policy",
    MxPatternUnused => "mx-pattern-unused": "Policy pattern matches no MX",
    MxNull => "mx-null": "Null MX: the domain accepts no mail",
    MxNone => "mx-none": "The domain has no MX records",
    MxIpAddress => "mx-ip-address": "MX names an IP address",
    MxCname => "mx-cname": "MX target is a CNAME",
    MxNoAddress => "mx-no-address": "MX host does not resolve",
    MxPrivateAddress => "mx-private-address": "MX resolves to a private address",
    StartTlsOk => "starttls-ok": "MX offers valid STARTTLS",
    StartTlsConnect => "starttls-connect": "MX cannot be reached on port 25",
    StartTlsNotOffered => "starttls-not-offered": "MX does not offer STARTTLS",
    StartTlsHandshake => "starttls-handshake": "STARTTLS handshake fails",
    StartTlsTlsVersion => "starttls-tls-version": "MX offers only old TLS",
    StartTlsCertName => "starttls-cert-name": "MX certificate does not name the MX host",
    StartTlsCertExpired => "starttls-cert-expired": "MX certificate has expired",
    StartTlsCertUntrusted => "starttls-cert-untrusted": "MX certificate is not trusted",
    StartTlsCertExpiring => "starttls-cert-expiring": "MX certificate expires soon",
    DaneTlsaPresent => "dane-tlsa-present": "MX publishes DANE TLSA records",
    DaneTlsaAbsent => "dane-tlsa-absent": "MX has no DANE TLSA records",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for code in FindingCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate code {}", code.as_str());
            assert_eq!(FindingCode::parse(code.as_str()), Some(*code));
        }
    }

    #[test]
    fn status_is_the_worst_severity() {
        assert_eq!(Status::of(&[]), Status::Ok);
        let ok = Finding::new(FindingCode::StsRecordOk, Severity::Ok, "x");
        let warn = Finding::new(FindingCode::MxPatternUnused, Severity::Warning, "x");
        let err = Finding::new(FindingCode::MxUncovered, Severity::Error, "x");
        assert_eq!(Status::of(&[ok.clone(), warn.clone()]), Status::Warning);
        assert_eq!(Status::of(&[err, ok, warn]), Status::Error);
        assert_eq!(Status::parse("never_checked"), Status::NeverChecked);
    }
}
