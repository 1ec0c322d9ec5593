//! Why a payload was not accepted as a report: a stable code for programs and a message that
//! tells the sender or the user what to fix. Never carries the payload itself.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReportErrorCode {
    /// The payload as received is over the size limit.
    TooLarge,
    /// Decompressing would exceed the limit (a gzip or zip bomb, or simply too big).
    DecompressedTooLarge,
    CorruptGzip,
    CorruptZip,
    ZipWithoutJson,
    /// Neither gzip, zip nor JSON.
    UnrecognisedFormat,
    InvalidUtf8,
    InvalidJson,
    TooDeep,
    TooManyItems,
    /// Well-formed JSON that is not an RFC 8460 report.
    InvalidReport,
    /// The client went away while its payload was being read; nothing was kept.
    Cancelled,
}

impl ReportErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TooLarge => "too-large",
            Self::DecompressedTooLarge => "decompressed-too-large",
            Self::CorruptGzip => "corrupt-gzip",
            Self::CorruptZip => "corrupt-zip",
            Self::ZipWithoutJson => "zip-without-json",
            Self::UnrecognisedFormat => "unrecognised-format",
            Self::InvalidUtf8 => "invalid-utf8",
            Self::InvalidJson => "invalid-json",
            Self::TooDeep => "too-deep",
            Self::TooManyItems => "too-many-items",
            Self::InvalidReport => "invalid-report",
            Self::Cancelled => "cancelled",
        }
    }

    /// Over a size limit (HTTP 413) rather than malformed (HTTP 400).
    pub fn is_size_limit(self) -> bool {
        matches!(self, Self::TooLarge | Self::DecompressedTooLarge)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ReportError {
    pub code: ReportErrorCode,
    pub message: String,
}

impl ReportError {
    pub fn new(code: ReportErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}
