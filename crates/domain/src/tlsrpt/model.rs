//! The RFC 8460 §4 report as Portcullis keeps it: typed where the views need types, with every
//! field a sender added beyond the RFC kept in `extra` rather than dropped.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::lenient;

/// Fields a sender sent that RFC 8460 does not name, kept verbatim.
pub type Extra = BTreeMap<String, serde_json::Value>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Report {
    #[serde(deserialize_with = "lenient::required_text")]
    pub organization_name: String,
    pub date_range: DateRange,
    #[serde(default, deserialize_with = "lenient::optional_text")]
    pub contact_info: Option<String>,
    #[serde(deserialize_with = "lenient::required_text")]
    pub report_id: String,
    pub policies: Vec<PolicyResult>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct DateRange {
    #[serde(deserialize_with = "lenient::datetime")]
    pub start_datetime: DateTime<Utc>,
    #[serde(deserialize_with = "lenient::datetime")]
    pub end_datetime: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct PolicyResult {
    pub policy: PolicyDetails,
    pub summary: Summary,
    #[serde(default, deserialize_with = "lenient::null_as_empty")]
    pub failure_details: Vec<FailureDetail>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct PolicyDetails {
    pub policy_type: PolicyType,
    #[serde(default, deserialize_with = "lenient::null_as_empty")]
    pub policy_string: Vec<String>,
    #[serde(default, deserialize_with = "lenient::optional_text")]
    pub policy_domain: Option<String>,
    /// RFC 8460 shows a string; errata 6241 (and most senders) an array.
    #[serde(default, deserialize_with = "lenient::one_or_many")]
    pub mx_host: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Counts default to zero when a sender leaves one out (Google omits a zero failure count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Summary {
    #[serde(default, deserialize_with = "lenient::count")]
    pub total_successful_session_count: u64,
    #[serde(default, deserialize_with = "lenient::count")]
    pub total_failure_session_count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct FailureDetail {
    pub result_type: ResultType,
    #[serde(default, deserialize_with = "lenient::optional_text")]
    pub sending_mta_ip: Option<String>,
    #[serde(default, deserialize_with = "lenient::optional_text")]
    pub receiving_mx_hostname: Option<String>,
    #[serde(default, deserialize_with = "lenient::optional_text")]
    pub receiving_mx_helo: Option<String>,
    #[serde(default, deserialize_with = "lenient::optional_text")]
    pub receiving_ip: Option<String>,
    #[serde(deserialize_with = "lenient::count")]
    pub failed_session_count: u64,
    #[serde(default, deserialize_with = "lenient::optional_text")]
    pub additional_information: Option<String>,
    /// Free text in practice ("bad https response code: 404"), sometimes a number.
    #[serde(default, deserialize_with = "lenient::optional_text")]
    pub failure_reason_code: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($variant,)+
            /// A value this version does not know, kept as sent.
            Other(String),
        }

        impl $name {
            pub const KNOWN: &'static [&'static str] = &[$($text),+];

            pub fn parse(text: &str) -> Self {
                match text {
                    $($text => Self::$variant,)+
                    other => Self::Other(other.to_string()),
                }
            }

            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Other(other) => other,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = lenient::required_text(d)?;
                Ok(Self::parse(&text))
            }
        }
    };
}

string_enum!(
    /// `policy-type`: the policy the sender applied.
    PolicyType {
        Sts => "sts",
        Tlsa => "tlsa",
        NoPolicyFound => "no-policy-found",
    }
);

string_enum!(
    /// `result-type` of a failure (RFC 8460 §4.3).
    ResultType {
        StarttlsNotSupported => "starttls-not-supported",
        CertificateHostMismatch => "certificate-host-mismatch",
        CertificateExpired => "certificate-expired",
        CertificateNotTrusted => "certificate-not-trusted",
        ValidationFailure => "validation-failure",
        TlsaInvalid => "tlsa-invalid",
        DnssecInvalid => "dnssec-invalid",
        DaneRequired => "dane-required",
        StsPolicyFetchError => "sts-policy-fetch-error",
        StsPolicyInvalid => "sts-policy-invalid",
        StsWebpkiInvalid => "sts-webpki-invalid",
    }
);

impl Report {
    /// Successful and failed sessions over all policies. Each count was bounded when parsed,
    /// so the sums cannot overflow for fewer than 2^31 policies, which the limits guarantee.
    pub fn totals(&self) -> (u64, u64) {
        self.policies.iter().fold((0, 0), |(ok, failed), p| {
            (
                ok.saturating_add(p.summary.total_successful_session_count),
                failed.saturating_add(p.summary.total_failure_session_count),
            )
        })
    }

    /// The distinct policy domains the report names, lower-cased, in first-seen order.
    pub fn policy_domains(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        let mut ordered = Vec::new();
        for name in self.policies.iter().filter_map(|p| p.policy.policy_domain.as_deref()) {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if seen.insert(name.clone()) {
                ordered.push(name);
            }
        }
        ordered
    }
}
