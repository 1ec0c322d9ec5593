//! Report payloads as they arrive: gzip, zip or plain JSON, told apart by their first bytes and
//! never by a label (senders mislabel). Decompression stops the moment it passes the limit, so a
//! bomb costs at most `max_decompressed` bytes of memory.

use std::io::{Cursor, Read};

use super::error::{ReportError, ReportErrorCode};
use super::model::Report;
use super::parse::parse_report;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadLimits {
    pub max_compressed: usize,
    pub max_decompressed: usize,
}

impl Default for PayloadLimits {
    fn default() -> Self {
        Self {
            max_compressed: 10 * 1024 * 1024,
            max_decompressed: 50 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadKind {
    Json,
    Gzip,
    Zip,
}

impl PayloadKind {
    pub fn detect(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0x1f, 0x8b]) {
            return Some(Self::Gzip);
        }
        if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
            return Some(Self::Zip);
        }
        let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        match text.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => Some(Self::Json),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Gzip => "gzip",
            Self::Zip => "zip",
        }
    }
}

/// A payload turned into a report.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub kind: PayloadKind,
    pub report: Report,
    /// The report's JSON text, decompressed.
    pub json: Vec<u8>,
    /// Whether the payload was exactly one gzip layer around the JSON (then it is its own
    /// compressed copy and need not be compressed again for storage).
    pub gzip_of_json: bool,
}

impl Decoded {
    /// The report's JSON gzip-compressed: the payload itself when it already is that.
    pub fn compressed(&self, payload: &[u8]) -> Vec<u8> {
        if self.gzip_of_json {
            return payload.to_vec();
        }
        use std::io::Write;
        let mut enc =
            flate2::write::GzEncoder::new(Vec::with_capacity(self.json.len() / 4), flate2::Compression::fast());
        enc.write_all(&self.json).expect("writing to memory");
        enc.finish().expect("writing to memory")
    }
}

pub fn read_payload(bytes: &[u8], limits: PayloadLimits) -> Result<Decoded, ReportError> {
    if bytes.len() > limits.max_compressed {
        return Err(ReportError::new(
            ReportErrorCode::TooLarge,
            format!(
                "the payload is {} bytes; the limit is {} bytes",
                bytes.len(),
                limits.max_compressed
            ),
        ));
    }
    let kind = PayloadKind::detect(bytes).ok_or_else(unrecognised)?;
    let (json, layers) = decode_layers(kind, bytes, limits, 0)?;
    let report = parse_report(&json)?;
    let gzip_of_json = kind == PayloadKind::Gzip && layers == 1;
    Ok(Decoded {
        kind,
        report,
        json,
        gzip_of_json,
    })
}

/// The JSON text inside a payload. One level of nesting is unwrapped (a gzip inside a zip).
pub fn decode(kind: PayloadKind, bytes: &[u8], limits: PayloadLimits) -> Result<Vec<u8>, ReportError> {
    decode_layers(kind, bytes, limits, 0).map(|(json, _)| json)
}

/// The JSON text and how many compression layers were removed to reach it.
fn decode_layers(
    kind: PayloadKind,
    bytes: &[u8],
    limits: PayloadLimits,
    depth: u8,
) -> Result<(Vec<u8>, u8), ReportError> {
    let inner = match kind {
        PayloadKind::Json => {
            if bytes.len() > limits.max_decompressed {
                return Err(too_large_decompressed(limits));
            }
            return Ok((bytes.to_vec(), 0));
        }
        PayloadKind::Gzip => gunzip(bytes, limits)?,
        PayloadKind::Zip => first_json_entry(bytes, limits, depth)?,
    };
    match PayloadKind::detect(&inner) {
        Some(PayloadKind::Json) => Ok((inner, 1)),
        Some(nested) if depth == 0 => decode_layers(nested, &inner, limits, depth + 1).map(|(json, n)| (json, n + 1)),
        _ => Err(ReportError::new(
            ReportErrorCode::UnrecognisedFormat,
            format!("the {} content is not a JSON report", kind.as_str()),
        )),
    }
}

fn gunzip(bytes: &[u8], limits: PayloadLimits) -> Result<Vec<u8>, ReportError> {
    let decoder = flate2::read::MultiGzDecoder::new(bytes);
    read_bounded(decoder, limits).map_err(|e| match e {
        Bounded::TooLarge => too_large_decompressed(limits),
        Bounded::Io(e) => ReportError::new(
            ReportErrorCode::CorruptGzip,
            format!("the gzip data is truncated or corrupt ({e})"),
        ),
    })
}

fn first_json_entry(bytes: &[u8], limits: PayloadLimits, depth: u8) -> Result<Vec<u8>, ReportError> {
    let corrupt = |e: zip::result::ZipError| {
        ReportError::new(ReportErrorCode::CorruptZip, format!("the zip archive is corrupt ({e})"))
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(corrupt)?;
    for index in 0..archive.len() {
        let entry = archive.by_index(index).map_err(corrupt)?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_ascii_lowercase();
        let content = read_bounded(entry, limits).map_err(|e| match e {
            Bounded::TooLarge => too_large_decompressed(limits),
            Bounded::Io(e) => ReportError::new(
                ReportErrorCode::CorruptZip,
                format!("the zip entry {name:?} is corrupt ({e})"),
            ),
        })?;
        match PayloadKind::detect(&content) {
            Some(PayloadKind::Json) => return Ok(content),
            Some(PayloadKind::Gzip) if depth == 0 && name.ends_with(".gz") => return gunzip(&content, limits),
            _ => continue,
        }
    }
    Err(ReportError::new(
        ReportErrorCode::ZipWithoutJson,
        "the zip archive holds no JSON report",
    ))
}

enum Bounded {
    TooLarge,
    Io(std::io::Error),
}

fn read_bounded(reader: impl Read, limits: PayloadLimits) -> Result<Vec<u8>, Bounded> {
    let mut out = Vec::new();
    reader
        .take(limits.max_decompressed as u64 + 1)
        .read_to_end(&mut out)
        .map_err(Bounded::Io)?;
    if out.len() > limits.max_decompressed {
        return Err(Bounded::TooLarge);
    }
    Ok(out)
}

fn too_large_decompressed(limits: PayloadLimits) -> ReportError {
    ReportError::new(
        ReportErrorCode::DecompressedTooLarge,
        format!("the report decompresses to more than {} bytes", limits.max_decompressed),
    )
}

fn unrecognised() -> ReportError {
    ReportError::new(
        ReportErrorCode::UnrecognisedFormat,
        "the payload is neither gzip, zip nor a JSON report",
    )
}
