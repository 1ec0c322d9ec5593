//! TLS-RPT ingestion, the same for every channel (HTTPS, SMTP, upload, CLI import): decode and
//! parse off the async threads, attribute to registered domains, store durably, then answer.

use std::sync::Arc;

use portcullis_domain::tlsrpt::{
    read_payload, read_payload_within, Budget, Decoded, PayloadLimits, Provenance, ReportError,
};
use portcullis_store::{IngestOutcome, IngestScope, NewReport, OrgAccess, StoreError};
use serde::{Deserialize, Serialize};

use crate::intake_memory::{IntakeMemory, Reservation};
use crate::low_priority::{run_low_priority, LowPriorityError};
use crate::rate_limit::RateLimiter;
use crate::Services;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Https,
    Smtp,
    Upload,
    Import,
    Imap,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Https => "https",
            Self::Smtp => "smtp",
            Self::Upload => "upload",
            Self::Import => "import",
            Self::Imap => "imap",
        }
    }
}

/// One payload as a channel received it.
#[derive(Debug, Clone)]
pub struct ReportInput {
    pub payload: Vec<u8>,
    pub channel: Channel,
    /// Client IP, TLS-Report-Submitter, or file name: shown with the report.
    pub submitter: Option<String>,
    /// TLS-Report-Domain or the attachment name's domain.
    pub hint_domain: Option<String>,
    /// How it arrived and what vouches for its origin.
    pub provenance: Provenance,
}

impl ReportInput {
    pub fn new(payload: Vec<u8>, channel: Channel) -> Self {
        Self {
            payload,
            channel,
            submitter: None,
            hint_domain: None,
            provenance: Provenance::default(),
        }
    }
}

/// SHA-256 (hex) of the parsed report: two payloads carrying the same report (one gzipped, one
/// not, or with other whitespace) hash alike; a re-send with other content does not.
pub(crate) fn content_hash(report: &portcullis_domain::tlsrpt::Report) -> String {
    let canonical = serde_json::to_vec(report).expect("reports serialize");
    hex::encode(ring::digest::digest(&ring::digest::SHA256, &canonical))
}

/// A report that was stored (for at least one domain) or was already stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ingested {
    pub organization: String,
    pub report_id: String,
    pub outcome: IngestOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    /// Not a report, or over a limit: the sender must not retry the same bytes.
    #[error("{0}")]
    Rejected(ReportError),
    /// None of the policy domains is registered (for an upload: in the uploader's organisation).
    #[error("no registered domain: the report covers {}", .0.join(", "))]
    UnknownDomain(Vec<String>),
    #[error("the report names no policy domain")]
    NoDomain,
    #[error("your role does not allow adding reports")]
    Forbidden,
    /// Storage failed: nothing was stored, the sender should retry later.
    #[error("the report could not be stored right now; try again later")]
    Unavailable,
    /// The store refused the report's data (a value out of range, a row too large): it would
    /// fail the same way on every retry, so it is refused for good.
    #[error("the report holds values this server cannot store")]
    Unstorable,
}

impl IngestError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Rejected(e) => e.code.as_str(),
            Self::UnknownDomain(_) => "unknown-domain",
            Self::NoDomain => "no-policy-domain",
            Self::Forbidden => "forbidden",
            Self::Unavailable => "unavailable",
            Self::Unstorable => "unstorable",
        }
    }

    /// Worth retrying later (SMTP 4xx, HTTP 503) rather than a permanent refusal.
    pub fn is_temporary(&self) -> bool {
        matches!(self, Self::Unavailable)
    }
}

/// Ingestion settings.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    pub limits: PayloadLimits,
    /// Reports accepted per client address and minute over HTTPS.
    pub per_client_per_minute: u32,
    /// Bytes of payloads being received at once, all receivers together (see
    /// [`crate::IntakeMemory`]).
    pub max_buffered: usize,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            limits: PayloadLimits::default(),
            per_client_per_minute: 120,
            max_buffered: 64 * 1024 * 1024,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Ingestion {
    pub(crate) config: IngestConfig,
    pub(crate) limiter: RateLimiter,
    /// One permit per core for decompressing and parsing: a flood of payloads queues here
    /// instead of filling the blocking thread pool and starving everything else.
    cpu: Arc<tokio::sync::Semaphore>,
    memory: IntakeMemory,
}

impl Ingestion {
    pub(crate) fn new(config: IngestConfig) -> Arc<Self> {
        let limiter = RateLimiter::per_minute(config.per_client_per_minute);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let cpu = Arc::new(tokio::sync::Semaphore::new(cores));
        let memory = IntakeMemory::new(config.max_buffered);
        Arc::new(Self {
            config,
            limiter,
            cpu,
            memory,
        })
    }

    /// Runs CPU-bound work under a core permit, on a thread below the async workers' priority
    /// (see `low_priority`). When the caller's future is dropped (the client went away) the
    /// budget is cancelled, and the work stops at its next decompressed chunk; the permit is held
    /// until the work has really stopped.
    pub(crate) async fn off_runtime<T: Send + 'static>(
        &self,
        budget: Arc<Budget>,
        work: impl FnOnce(&Budget) -> T + Send + 'static,
    ) -> Result<T, IngestError> {
        let mut cancel_if_dropped = CancelOnDrop(Some(budget.clone()));
        let permit = self
            .cpu
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| IngestError::Unavailable)?;
        let done = run_low_priority(move || {
            let _permit = permit;
            work(&budget)
        })
        .await
        .map_err(|e| match e {
            LowPriorityError::NoThread => IngestError::Unavailable,
            LowPriorityError::Panicked => {
                // A bug that the same bytes would hit again: refuse, do not ask for a retry.
                tracing::error!("parsing a TLS-RPT payload panicked");
                IngestError::Unstorable
            }
        });
        // Finished: the budget goes on to the mail's next attachment, uncancelled.
        cancel_if_dropped.0 = None;
        done
    }
}

/// Cancels the budget when dropped while still holding it: the caller's future was dropped
/// mid-way (the client went away).
struct CancelOnDrop(Option<Arc<Budget>>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(budget) = &self.0 {
            budget.cancel();
        }
    }
}

fn scope(access: Option<&OrgAccess>) -> IngestScope<'_> {
    match access {
        Some(access) => IngestScope::Org(access),
        None => IngestScope::Platform,
    }
}

fn to_outcome(decoded: &Decoded, outcome: IngestOutcome) -> Result<Ingested, IngestError> {
    if !outcome.accepted() {
        return Err(if outcome.unregistered.is_empty() {
            IngestError::NoDomain
        } else {
            IngestError::UnknownDomain(outcome.unregistered)
        });
    }
    Ok(Ingested {
        organization: decoded.report.organization_name.clone(),
        report_id: decoded.report.report_id.clone(),
        outcome,
    })
}

fn storage_error(e: StoreError) -> IngestError {
    match e {
        StoreError::Forbidden => IngestError::Forbidden,
        other if other.is_unavailable() => {
            tracing::error!(error = %other, "storing a TLS-RPT report failed; the sender is asked to retry");
            IngestError::Unavailable
        }
        other => {
            tracing::error!(error = %other, "the store refused a TLS-RPT report's data; refused for good");
            IngestError::Unstorable
        }
    }
}

impl Services {
    pub fn with_ingest_config(mut self, config: IngestConfig) -> Self {
        self.ingestion = Ingestion::new(config);
        self
    }

    pub fn ingest_config(&self) -> &IngestConfig {
        &self.ingestion.config
    }

    /// `Err(seconds to wait)` when `client` sent more reports this minute than allowed, counted
    /// across every instance on the database. This process's own bucket answers first, so a
    /// flood is refused without a query; what passes it is counted in the database. When the
    /// database cannot count, the report goes on (storing it will say whether to retry).
    pub async fn report_rate_check(&self, client: &str) -> Result<(), u64> {
        self.ingestion.limiter.check(client)?;
        let per_minute = self.ingestion.config.per_client_per_minute;
        if per_minute == 0 {
            return Ok(());
        }
        match self
            .store
            .count_attempt(&format!("report:{client}"), i64::from(per_minute), 60)
            .await
        {
            Ok(counted) => counted,
            Err(e) => {
                tracing::warn!(error = %e, "could not count a report against its sender's rate");
                Ok(())
            }
        }
    }

    /// Room for `bytes` of a payload being received, or `None` when the receivers together hold
    /// all they may: the sender is asked to try again later. Grow it as the payload arrives.
    pub fn reserve_intake(&self, bytes: usize) -> Option<Reservation> {
        self.ingestion.memory.reserve(bytes)
    }

    /// Parses and stores one report. `access` limits attribution to that organisation's domains
    /// (uploads); `None` is platform-wide (senders, the administrator's import).
    pub async fn ingest_report(&self, access: Option<&OrgAccess>, input: ReportInput) -> Result<Ingested, IngestError> {
        let budget = Arc::new(Budget::new(self.ingestion.config.limits.max_decompressed));
        self.ingest_report_within(access, input, budget).await
    }

    /// One report whose decompression draws on `budget`, which the other attachments of the
    /// same mail share.
    pub(crate) async fn ingest_report_within(
        &self,
        access: Option<&OrgAccess>,
        input: ReportInput,
        budget: Arc<Budget>,
    ) -> Result<Ingested, IngestError> {
        let limits = self.ingestion.config.limits;
        let (input, decoded) = self
            .ingestion
            .off_runtime(budget, move |budget| {
                // Compressing for storage and hashing are CPU work too: done here, off the runtime.
                let decoded = read_payload_within(&input.payload, limits, budget).map(|d| {
                    let raw = d.compressed(&input.payload);
                    let hash = content_hash(&d.report);
                    (d, raw, hash)
                });
                (input, decoded)
            })
            .await?;
        let (decoded, raw, hash) = decoded.map_err(IngestError::Rejected)?;
        let new = new_report(&decoded, &raw, &hash, &input);
        let outcome = self
            .store
            .ingest_report(scope(access), &new)
            .await
            .map_err(storage_error)?;
        to_outcome(&decoded, outcome)
    }

    /// Parses many payloads on all cores and stores the good ones in one transaction. The
    /// results are in input order; a storage failure fails every report of the batch.
    pub async fn ingest_batch(
        &self,
        access: Option<&OrgAccess>,
        inputs: Vec<ReportInput>,
    ) -> Vec<Result<Ingested, IngestError>> {
        let limits = self.ingestion.config.limits;
        let count = inputs.len();
        let parsed = tokio::task::spawn_blocking(move || parse_all(inputs, limits)).await;
        let Ok(parsed) = parsed else {
            // One answer per input, as the callers index them.
            tracing::error!("parsing a batch of TLS-RPT payloads panicked");
            return vec![Err(IngestError::Unstorable); count];
        };
        let news: Vec<NewReport<'_>> = parsed
            .iter()
            .filter_map(|(input, decoded)| match decoded {
                Ok((decoded, raw, hash)) => Some(new_report(decoded, raw, hash, input)),
                Err(_) => None,
            })
            .collect();
        let stored = match self.store.ingest_reports(scope(access), &news).await {
            Ok(outcomes) => Ok(outcomes),
            Err(e) => Err(storage_error(e)),
        };
        let mut outcomes = match stored {
            Ok(outcomes) => outcomes.into_iter().map(Ok).collect::<Vec<_>>().into_iter(),
            Err(e) => vec![Err(e); news.len()].into_iter(),
        };
        parsed
            .iter()
            .map(|(_, decoded)| match decoded {
                Ok((decoded, _, _)) => match outcomes.next().expect("one outcome per stored report") {
                    Ok(outcome) => to_outcome(decoded, outcome),
                    Err(e) => Err(e),
                },
                Err(e) => Err(IngestError::Rejected(e.clone())),
            })
            .collect()
    }
}

type Parsed = (ReportInput, Result<(Decoded, Vec<u8>, String), ReportError>);

fn parse_one(input: ReportInput, limits: PayloadLimits) -> Parsed {
    let decoded = read_payload(&input.payload, limits).map(|d| {
        let raw = d.compressed(&input.payload);
        let hash = content_hash(&d.report);
        (d, raw, hash)
    });
    (input, decoded)
}

fn parse_all(inputs: Vec<ReportInput>, limits: PayloadLimits) -> Vec<Parsed> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    if threads == 1 || inputs.len() < 8 {
        return inputs.into_iter().map(|i| parse_one(i, limits)).collect();
    }
    let chunk = inputs.len().div_ceil(threads);
    let mut chunks: Vec<Vec<ReportInput>> = Vec::new();
    let mut inputs = inputs.into_iter().peekable();
    while inputs.peek().is_some() {
        chunks.push(inputs.by_ref().take(chunk).collect());
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|c| s.spawn(move || c.into_iter().map(|i| parse_one(i, limits)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("parsing does not panic"))
            .collect()
    })
}

fn new_report<'a>(decoded: &'a Decoded, raw: &'a [u8], hash: &'a str, input: &'a ReportInput) -> NewReport<'a> {
    NewReport {
        report: &decoded.report,
        raw_gzip: raw,
        channel: input.channel.as_str(),
        submitter: input.submitter.as_deref(),
        hint_domain: input.hint_domain.as_deref(),
        received_at: portcullis_store::now(),
        provenance: &input.provenance,
        content_hash: hash,
    }
}
