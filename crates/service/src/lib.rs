//! Services: what a user can do, independent of how they asked (dashboard form, REST API, CLI).
//!
//! Each service validates its input into domain types, calls the tenant-scoped store and returns
//! a [`ServiceError`] a caller can map to its own surface (HTTP status, form error, exit code).

mod accounts;
mod alerts;
mod certs;
mod changes;
pub mod charts;
mod claims;
mod delegation;
mod dkim;
mod dns;
mod domains;
mod error;
mod files;
mod flash;
mod intake_memory;
mod invitations;
mod jobs;
mod lifecycle;
mod low_priority;
mod mail;
mod monitor;
mod operator;
mod orgs;
mod password_hash;
mod policies;
mod proof;
mod push;
mod rate_limit;
mod reports;
mod reverse_dns;
mod sealing;
mod shares;
mod silence;
mod snapshot;
mod throttle;

pub use accounts::{Login, SESSION_TTL_SECS};
pub use alerts::{
    AlertPass, AlertSettings, ChannelView, CERT_ALERT_DAYS, FAILURE_RATE_DAYS, RETRY_AFTER_SECS, STALE_ID_HOURS,
};
pub use certs::{backoff_secs, is_due, CertHolder, RENEW_BEFORE_SECS};
pub use claims::{ClaimCheck, ClaimView};
pub use delegation::IdPublishing;
pub use dkim::DkimCheck;
pub use dns::{CheckRun, DnsConfig, DnsOverview, PUBLIC_HOST_PLACEHOLDER};
pub use domains::{parse_domain, DOMAINS_PAGE_SIZE};
pub use error::ServiceError;
pub use files::{file_items, FileItem};
pub use intake_memory::{IntakeMemory, Reservation, SMALL_PAYLOAD};
pub use invitations::InvitationView;
pub use lifecycle::{
    DriftFix, MxPlanView, ReadinessView, TransitionOutcome, TransitionRequest, PLAN_REPLAY_DAYS, STABLE_ENFORCE_DAYS,
    SUGGESTED_MAX_AGE, UNCONFIGURED,
};
pub use mail::{mail_subject, report_mail, MailOutcome, MailPart, ReportMail, MAX_REPORT_ATTACHMENTS};
pub use monitor::MonitorPass;
pub use operator::Operator;
pub use orgs::{MemberChange, INVITATION_DAYS};
pub use password_hash::{hash_password, verify_password};
pub use policies::{policy_error, MxProposal, PolicyState, VERSIONS_SHOWN};
pub use push::{PushInput, PushOutcome, PushStatus, PushView};
pub use rate_limit::RateLimiter;
pub use reports::ingest::{Channel, IngestConfig, IngestError, Ingested, ReportInput};
pub use reports::patterns::PatternOverview;
pub use reports::senders::{SenderOverview, ServedVersion, DEFAULT_SENDER_DAYS};
pub use reports::views::{
    ReportOverview, ReportPage, Summary, SummaryQuery, DEFAULT_SUMMARY_DAYS, GROUP_ROWS_SHOWN, MAX_SUMMARY_DAYS,
    REPORTS_PAGE_SIZE,
};
pub use reverse_dns::{REVERSE_DNS_BUDGET, REVERSE_DNS_PER_CALL};
pub use sealing::SecretKey;
pub use shares::{ShareExpiry, ShareLinkView, Shared, SharedDomainSummary, MAX_SHARE_DAYS, SHARED_DAYS};
pub use silence::{ReportingStatus, SenderReporting, SILENCE_NOTICED_DAYS};
pub use snapshot::PolicySnapshot;
// Proof of access to one organisation, which only these services hand out; and the hash under
// which secrets (sessions, tokens) are kept, for callers that key their own state by session.
pub use portcullis_store::{hash_secret, OrgAccess};

use portcullis_dnscheck::{Checker, Dns};
use portcullis_store::Store;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Shared handle: cheap to clone, one per process.
#[derive(Clone, Debug)]
pub struct Services {
    /// Private: pages, the API and the workers reach the database only through these
    /// services (the operator's rights come with the store itself, see [`Operator`]).
    store: Store,
    /// Cached "no user exists yet", so the setup redirect costs no query per request.
    needs_setup: Arc<AtomicBool>,
    /// Served policies, answered without the database.
    pub snapshot: Arc<PolicySnapshot>,
    /// Live DNS for "generate from MX"; `None` when no resolver could be configured.
    pub dns: Option<Dns>,
    /// Live DNS checks; `None` when no resolver could be configured.
    pub(crate) checker: Option<Checker>,
    pub(crate) dns_config: DnsConfig,
    pub(crate) ingestion: Arc<reports::ingest::Ingestion>,
    /// Thresholds of the readiness gate for enforce.
    pub(crate) gate: portcullis_domain::lifecycle::GateConfig,
    /// Alert delivery; `None` when this server sends none.
    pub(crate) alerts: Option<alerts::AlertDelivery>,
    /// First-run setup asks for the setup token (the dashboard is reachable from elsewhere).
    pub(crate) setup_token_required: bool,
    /// This process among the instances sharing the database (the holder of its job leases).
    pub(crate) instance: Arc<str>,
    /// Seals and opens push credentials; `None` when no `PORTCULLIS_SECRET_KEY` is configured.
    pub(crate) secret_key: Option<SecretKey>,
    /// Verifies report mail's DKIM signatures; `None` when no resolver could be configured.
    pub(crate) dkim: Option<DkimCheck>,
}

impl Services {
    /// Liveness: the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), ServiceError> {
        Ok(self.store.ping().await?)
    }

    /// Registered domains, all organisations (for metrics).
    pub async fn count_domains(&self) -> Result<i64, ServiceError> {
        Ok(self.store.count_domains().await?)
    }

    /// Drops expired sign-in sessions, attempt counters whose window is over and one-time
    /// messages nobody came back for; how many rows went.
    pub async fn purge_expired(&self) -> Result<u64, ServiceError> {
        let counters = self.store.purge_counters(throttle::WINDOW_SECS).await?;
        Ok(self.store.purge_expired_sessions().await? + counters + self.store.purge_flashes().await?)
    }

    /// Closes the database connections (at shutdown).
    pub async fn close(&self) {
        self.store.close().await;
    }
}

impl Services {
    pub async fn new(store: Store) -> Result<Self, ServiceError> {
        let needs_setup = store.user_count().await? == 0;
        Ok(Self {
            store,
            needs_setup: Arc::new(AtomicBool::new(needs_setup)),
            snapshot: Arc::default(),
            dns: None,
            checker: None,
            dns_config: DnsConfig::default(),
            ingestion: reports::ingest::Ingestion::new(IngestConfig::default()),
            gate: Default::default(),
            alerts: None,
            setup_token_required: false,
            instance: jobs::new_instance_id().into(),
            secret_key: None,
            dkim: None,
        })
    }

    /// First-run setup asks for the token of [`Services::setup_token`]: set when the dashboard
    /// listens on more than loopback, so the first stranger to open it cannot become its
    /// administrator.
    pub fn with_setup_token_required(mut self, required: bool) -> Self {
        self.setup_token_required = required;
        self
    }

    /// With other readiness-gate thresholds.
    pub fn with_gate_config(mut self, gate: portcullis_domain::lifecycle::GateConfig) -> Self {
        self.gate = gate;
        self
    }

    /// Uses `dns` for live look-ups.
    pub fn with_dkim(mut self, dkim: DkimCheck) -> Self {
        self.dkim = Some(dkim);
        self
    }

    pub fn with_dns(mut self, dns: Dns) -> Self {
        self.dns = Some(dns);
        self
    }

    /// True while no user exists. Checks the database again while the cached flag says so, so
    /// an administrator created from the command line ends setup for a running server too.
    pub async fn needs_setup(&self) -> bool {
        if !self.needs_setup.load(Ordering::Relaxed) {
            return false;
        }
        match self.store.user_count().await {
            Ok(0) => true,
            Ok(_) => {
                self.mark_set_up();
                false
            }
            // Unknown: do not send everyone to the setup page because the database blinked.
            Err(_) => false,
        }
    }

    pub(crate) fn mark_set_up(&self) {
        self.needs_setup.store(false, Ordering::Relaxed);
    }
}
