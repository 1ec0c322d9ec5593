//! Report payloads as they arrive: gzip, zip or plain JSON, told apart by their first bytes and
//! never by a label (senders mislabel). Every byte decompressed is taken from one [`Budget`]
//! per payload (per mail, when a mail carries several attachments): a bomb costs at most
//! `max_decompressed` bytes of memory however many entries, layers or attachments it spreads
//! over. Zip archives are refused before they are opened when their directory names more than
//! [`MAX_ZIP_ENTRIES`] entries, and when two entries share bytes or a name (the classic
//! overlapping-entry bomb inflates one deflate stream many times).

use std::io::{Cursor, Read};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::error::{ReportError, ReportErrorCode};
use super::model::Report;
use super::parse::parse_report;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadLimits {
    pub max_compressed: usize,
    pub max_decompressed: usize,
}

impl PayloadLimits {
    pub const DEFAULT: Self = Self {
        max_compressed: 10 * 1024 * 1024,
        max_decompressed: 50 * 1024 * 1024,
    };
}

impl Default for PayloadLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Entries a report zip may list. Senders put one report in a zip; a directory of thousands of
/// entries is a bomb's (each entry may point at the same compressed bytes).
pub const MAX_ZIP_ENTRIES: usize = 64;

/// The decompressed bytes still allowed for one payload, shared by every layer, zip entry and
/// (for a mail) attachment, and a flag that stops the work when the client has gone away.
/// Shared across threads: parsing runs off the async workers.
#[derive(Debug)]
pub struct Budget {
    limit: usize,
    remaining: AtomicUsize,
    cancelled: AtomicBool,
}

impl Budget {
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            remaining: AtomicUsize::new(limit),
            cancelled: AtomicBool::new(false),
        }
    }

    /// Stops decompression at its next chunk; the payload is then refused as cancelled.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// Takes `n` bytes from the budget, or fails without taking any.
    fn take(&self, n: usize) -> Result<(), Bounded> {
        if self.is_cancelled() {
            return Err(Bounded::Cancelled);
        }
        self.remaining
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| left.checked_sub(n))
            .map(|_| ())
            .map_err(|_| Bounded::TooLarge)
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

/// One payload with a budget of its own.
pub fn read_payload(bytes: &[u8], limits: PayloadLimits) -> Result<Decoded, ReportError> {
    read_payload_within(bytes, limits, &Budget::new(limits.max_decompressed))
}

/// One payload, decompressed within `budget` (which other payloads of the same mail share).
pub fn read_payload_within(bytes: &[u8], limits: PayloadLimits, budget: &Budget) -> Result<Decoded, ReportError> {
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
    let (json, layers) = decode_layers(kind, bytes, budget, 0)?;
    if budget.is_cancelled() {
        return Err(cancelled());
    }
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
    decode_layers(kind, bytes, &Budget::new(limits.max_decompressed), 0).map(|(json, _)| json)
}

/// The JSON text and how many compression layers were removed to reach it.
fn decode_layers(kind: PayloadKind, bytes: &[u8], budget: &Budget, depth: u8) -> Result<(Vec<u8>, u8), ReportError> {
    let inner = match kind {
        PayloadKind::Json => {
            // Plain JSON is what the parser holds: it counts against the budget too.
            budget.take(bytes.len()).map_err(|e| e.into_error(budget, "json"))?;
            return Ok((bytes.to_vec(), 0));
        }
        PayloadKind::Gzip => gunzip(bytes, budget)?,
        PayloadKind::Zip => first_json_entry(bytes, budget, depth)?,
    };
    match PayloadKind::detect(&inner) {
        Some(PayloadKind::Json) => Ok((inner, 1)),
        Some(nested) if depth == 0 => decode_layers(nested, &inner, budget, depth + 1).map(|(json, n)| (json, n + 1)),
        _ => Err(ReportError::new(
            ReportErrorCode::UnrecognisedFormat,
            format!("the {} content is not a JSON report", kind.as_str()),
        )),
    }
}

fn gunzip(bytes: &[u8], budget: &Budget) -> Result<Vec<u8>, ReportError> {
    let decoder = flate2::read::MultiGzDecoder::new(bytes);
    read_bounded(decoder, budget).map_err(|e| match e {
        Bounded::Io(e) => ReportError::new(
            ReportErrorCode::CorruptGzip,
            format!("the gzip data is truncated or corrupt ({e})"),
        ),
        other => other.into_error(budget, "gzip"),
    })
}

fn first_json_entry(bytes: &[u8], budget: &Budget, depth: u8) -> Result<Vec<u8>, ReportError> {
    let listed = check_zip_directory_size(bytes)?;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_error)?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(too_many_entries(archive.len()));
    }
    // The zip reader keeps one entry per name: fewer entries than listed means a name repeats.
    if archive.len() < listed {
        return Err(ReportError::new(
            ReportErrorCode::CorruptZip,
            "the zip archive lists a file name twice",
        ));
    }
    check_zip_entries_apart(&mut archive)?;
    for index in 0..archive.len() {
        let entry = archive.by_index(index).map_err(zip_error)?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_ascii_lowercase();
        let content = read_bounded(entry, budget).map_err(|e| match e {
            Bounded::Io(e) => ReportError::new(
                ReportErrorCode::CorruptZip,
                format!("the zip entry {name:?} is corrupt ({e})"),
            ),
            other => other.into_error(budget, "zip"),
        })?;
        match PayloadKind::detect(&content) {
            Some(PayloadKind::Json) => return Ok(content),
            Some(PayloadKind::Gzip) if depth == 0 && name.ends_with(".gz") => return gunzip(&content, budget),
            _ => continue,
        }
    }
    Err(ReportError::new(
        ReportErrorCode::ZipWithoutJson,
        "the zip archive holds no JSON report",
    ))
}

/// Refuses an archive whose end-of-directory record (any candidate in the last 64 KiB, the
/// most a comment can push it back) lists more than [`MAX_ZIP_ENTRIES`] entries, or that needs
/// ZIP64, before the zip reader allocates anything for its directory. Returns how many entries
/// the true end record (the one whose comment reaches the end of the data) lists.
fn check_zip_directory_size(bytes: &[u8]) -> Result<usize, ReportError> {
    const EOCD: &[u8] = b"PK\x05\x06";
    const EOCD_LEN: usize = 22;
    const ZIP64_LOCATOR: &[u8] = b"PK\x06\x07";
    let tail_from = bytes.len().saturating_sub(EOCD_LEN + u16::MAX as usize + 20);
    let tail = &bytes[tail_from..];
    if tail.windows(4).any(|w| w == ZIP64_LOCATOR) {
        return Err(ReportError::new(
            ReportErrorCode::TooManyItems,
            "ZIP64 archives are not accepted for reports",
        ));
    }
    let mut listed_by_true_record = 0;
    for at in (0..(tail.len() + 1).saturating_sub(EOCD_LEN)).filter(|&i| tail[i..].starts_with(EOCD)) {
        let field = |offset: usize| u16::from_le_bytes([tail[at + offset], tail[at + offset + 1]]) as usize;
        let listed = field(8).max(field(10));
        if listed > MAX_ZIP_ENTRIES {
            return Err(too_many_entries(listed));
        }
        if at + EOCD_LEN + field(20) == tail.len() {
            listed_by_true_record = listed;
        }
    }
    Ok(listed_by_true_record)
}

/// Refuses entries that share bytes: one deflate stream inflated many times over.
fn check_zip_entries_apart(archive: &mut zip::ZipArchive<Cursor<&[u8]>>) -> Result<(), ReportError> {
    let mut spans: Vec<(u64, u64)> = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(zip_error)?;
        let end = entry.data_start().saturating_add(entry.compressed_size());
        spans.push((entry.header_start(), end));
    }
    spans.sort_unstable();
    if spans.windows(2).any(|pair| pair[1].0 < pair[0].1) {
        return Err(ReportError::new(
            ReportErrorCode::CorruptZip,
            "the zip archive has entries that overlap",
        ));
    }
    Ok(())
}

fn zip_error(e: zip::result::ZipError) -> ReportError {
    ReportError::new(ReportErrorCode::CorruptZip, format!("the zip archive is corrupt ({e})"))
}

fn too_many_entries(listed: usize) -> ReportError {
    ReportError::new(
        ReportErrorCode::TooManyItems,
        format!("the zip archive lists {listed} entries; at most {MAX_ZIP_ENTRIES} are accepted"),
    )
}

enum Bounded {
    TooLarge,
    Cancelled,
    Io(std::io::Error),
}

impl Bounded {
    fn into_error(self, budget: &Budget, what: &str) -> ReportError {
        match self {
            Self::TooLarge => ReportError::new(
                ReportErrorCode::DecompressedTooLarge,
                format!(
                    "the report decompresses to more than {} bytes (one limit for the whole payload)",
                    budget.limit
                ),
            ),
            Self::Cancelled => cancelled(),
            Self::Io(e) => ReportError::new(ReportErrorCode::UnrecognisedFormat, format!("the {what} data: {e}")),
        }
    }
}

/// Reads to the end in chunks, charging each to the budget before keeping it.
fn read_bounded(mut reader: impl Read, budget: &Budget) -> Result<Vec<u8>, Bounded> {
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => return Ok(out),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Bounded::Io(e)),
        };
        budget.take(n)?;
        out.extend_from_slice(&chunk[..n]);
    }
}

fn cancelled() -> ReportError {
    ReportError::new(
        ReportErrorCode::Cancelled,
        "the client went away before the report was read",
    )
}

fn unrecognised() -> ReportError {
    ReportError::new(
        ReportErrorCode::UnrecognisedFormat,
        "the payload is neither gzip, zip nor a JSON report",
    )
}
