//! `portcullis import PATH...`: report files (.json, .json.gz, .zip), single messages (.eml),
//! Maildir folders and mbox files, walked recursively, stored in batches (one transaction
//! each), with one result line per report and a summary.

use std::io::Write;
use std::path::{Path, PathBuf};

use portcullis_service::{file_items, Channel, FileItem, Services};

/// Reports per transaction, and the most payload bytes held in memory for one batch.
const BATCH_REPORTS: usize = 500;
const BATCH_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportSummary {
    pub stored: usize,
    pub duplicates: usize,
    pub failed: usize,
}

impl ImportSummary {
    pub fn total(&self) -> usize {
        self.stored + self.duplicates + self.failed
    }
}

/// How results are shown: every line, or failures only; a progress bar on a terminal.
pub struct Reporter<W: Write> {
    pub out: W,
    pub quiet: bool,
    pub progress: bool,
}

/// Imports everything under `paths`. Errors reading a path are reported as failures of that
/// path; the import goes on.
pub async fn import_paths<W: Write>(
    services: &Services,
    paths: &[PathBuf],
    reporter: &mut Reporter<W>,
) -> ImportSummary {
    let mut files = Vec::new();
    let mut summary = ImportSummary::default();
    for path in paths {
        if let Err(e) = collect_files(path, &mut files) {
            summary.failed += 1;
            let _ = writeln!(reporter.out, "failed\t{}\t{e}", path.display());
        }
    }
    let total_files = files.len();
    let mut batch: Vec<FileItem> = Vec::new();
    let mut batch_bytes = 0;
    for (done, file) in files.iter().enumerate() {
        let label = file.display().to_string();
        let items = match std::fs::read(file) {
            Ok(bytes) => {
                let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
                file_items(&label, name.as_deref(), bytes, Channel::Import)
            }
            Err(e) => vec![FileItem {
                label,
                input: Err(format!("cannot read: {e}")),
            }],
        };
        for item in items {
            batch_bytes += item.input.as_ref().map(|i| i.payload.len()).unwrap_or(0);
            batch.push(item);
        }
        if batch.len() >= BATCH_REPORTS || batch_bytes >= BATCH_BYTES {
            flush(services, std::mem::take(&mut batch), reporter, &mut summary).await;
            batch_bytes = 0;
        }
        if reporter.progress && (done % 50 == 0 || done + 1 == total_files) {
            progress(done + 1, total_files);
        }
    }
    flush(services, batch, reporter, &mut summary).await;
    if reporter.progress {
        eprintln!();
    }
    summary
}

async fn flush<W: Write>(
    services: &Services,
    items: Vec<FileItem>,
    reporter: &mut Reporter<W>,
    summary: &mut ImportSummary,
) {
    if items.is_empty() {
        return;
    }
    for (label, result) in services.ingest_items(None, items).await {
        let line = match result {
            Ok(ingested) if ingested.outcome.is_new() => {
                summary.stored += 1;
                (!reporter.quiet).then(|| format!("stored\t{label}\t{}", super::describe(&ingested, "not registered")))
            }
            Ok(ingested) => {
                summary.duplicates += 1;
                (!reporter.quiet)
                    .then(|| format!("duplicate\t{label}\t{}", super::describe(&ingested, "not registered")))
            }
            Err(e) => {
                summary.failed += 1;
                Some(format!("failed\t{label}\t{e}"))
            }
        };
        if let Some(line) = line {
            let _ = writeln!(reporter.out, "{line}");
        }
    }
}

fn progress(done: usize, total: usize) {
    let width = 30;
    let filled = (done * width).checked_div(total).unwrap_or(width);
    eprint!(
        "\r[{}{}] {done}/{total} files",
        "#".repeat(filled),
        " ".repeat(width - filled)
    );
}

/// Files under `path` in a stable order, skipping hidden entries and Maildir `tmp/` folders
/// (messages still being delivered). Symbolic links are followed, but each directory is read
/// once: a link back to a parent does not loop.
fn collect_files(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    collect_files_once(path, out, &mut std::collections::HashSet::new())
}

fn collect_files_once(
    path: &Path,
    out: &mut Vec<PathBuf>,
    seen: &mut std::collections::HashSet<PathBuf>,
) -> std::io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    if !seen.insert(std::fs::canonicalize(path)?) {
        return Ok(());
    }
    let is_maildir = ["cur", "new", "tmp"].iter().all(|d| path.join(d).is_dir());
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .filter(|p| !(is_maildir && p.file_name().is_some_and(|n| n == "tmp")))
        .collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect_files_once(&entry, out, seen)?;
        } else if entry.is_file() {
            out.push(entry);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symlink_back_to_a_parent_is_read_once() {
        let dir = std::env::temp_dir().join(format!("portcullis-import-loop-{}", std::process::id()));
        let inner = dir.join("inner");
        std::fs::create_dir_all(&inner).unwrap();
        std::fs::write(inner.join("r.json"), b"{}").unwrap();
        std::os::unix::fs::symlink(&dir, inner.join("loop")).unwrap();
        let mut files = Vec::new();
        collect_files(&dir, &mut files).unwrap();
        assert_eq!(files, vec![inner.join("r.json")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
