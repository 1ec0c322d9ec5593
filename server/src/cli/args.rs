//! The command line's arguments (clap), and the settings list `--help` shows.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "portcullis",
    version,
    about = "Hosted MTA-STS policies and TLS-RPT reports for your domains",
    long_about = "Portcullis hosts MTA-STS policies (RFC 8461), guides DNS, and reads TLS-RPT reports (RFC 8460).\n\n\
Configuration: built-in defaults, then the TOML file given with --config, then environment variables:\n  \
PORTCULLIS_DATABASE_URL      sqlite://data/portcullis.db (default) or postgres://user@host/db\n  \
PORTCULLIS_DATABASE_URL_FILE read the database URL from this file instead\n  \
PORTCULLIS_HTTP_ADDR         dashboard and API listener (default 127.0.0.1:3000)\n  \
PORTCULLIS_HTTPS_ADDR        policy host with SNI + ACME (off by default)\n  \
PORTCULLIS_SMTP_ADDR         TLS-RPT mail receiver (off by default)\n  \
PORTCULLIS_PUBLIC_HOST       the name mta-sts.<domain> points at\n  \
PORTCULLIS_DNS_UPSTREAM      ip:port of the DNS resolver to use\n  \
PORTCULLIS_ACME_DIRECTORY    ACME directory URL\n  \
PORTCULLIS_ACME_CA_FILE      extra root certificate to trust for ACME\n  \
PORTCULLIS_REPORT_MAILTO     rua= mailto address (default tlsrpt@<public host>)\n  \
PORTCULLIS_REPORT_URL        rua= https URL (default https://<public host>/tlsrpt)\n  \
PORTCULLIS_REPORT_PATH       path senders POST reports to (default /tlsrpt)\n  \
PORTCULLIS_REPORT_RATE_PER_MINUTE  reports accepted per client address and minute (default 120; 0 = no limit)\n  \
PORTCULLIS_REPORT_MAX_BYTES  largest report as received (default 10485760)\n  \
PORTCULLIS_REPORT_MAX_DECOMPRESSED_BYTES  largest report decompressed (default 52428800)\n  \
PORTCULLIS_SMTP_MAX_MESSAGE_BYTES  largest report mail (default 20971520)\n  \
PORTCULLIS_SMTP_RECIPIENTS   more addresses the mail receiver accepts (comma-separated)\n  \
PORTCULLIS_SMTP_HOSTNAME     name the mail receiver greets with (default the public host)\n  \
PORTCULLIS_SMTP_TLS_CERT_FILE / _KEY_FILE  PEM certificate chain and key for STARTTLS\n  \
PORTCULLIS_MONITOR_INTERVAL_SECS  seconds between DNS checks of each domain (default 21600; 0 = off)\n  \
PORTCULLIS_MONITOR_CONCURRENCY    domains checked at once by the monitor (default 8)\n  \
PORTCULLIS_GATE_MIN_TESTING_DAYS  days in testing before enforce (default 14; 0 = none)\n  \
PORTCULLIS_GATE_MIN_REPORTS  TLS-RPT reports needed in that window (default 5)\n  \
PORTCULLIS_GATE_MIN_ORGANIZATIONS  organisations those reports come from (default 2)\n  \
PORTCULLIS_GATE_MAX_FAILURE_RATE_PERCENT  highest MTA-STS-relevant failure rate (default 0.1)\n  \
PORTCULLIS_GATE_MAX_CHECK_AGE_HOURS  newest DNS check the gate accepts (default 24)\n  \
PORTCULLIS_ALERT_SMTP_URL    relay for alert e-mail, e.g. smtp://user:pass@relay:587?tls=required (off by default)\n  \
PORTCULLIS_ALERT_SMTP_URL_FILE  read that URL from this file instead\n  \
PORTCULLIS_ALERT_FROM        sender of alert e-mail (default portcullis@<public host>)\n  \
PORTCULLIS_ALERT_INTERVAL_SECS  seconds between alert passes (default 60; 0 = off)\n  \
PORTCULLIS_CHECK_HTTPS_PORT  port policy hosts are fetched on (default 443; tests only)\n  \
PORTCULLIS_CHECK_SMTP_PORT   port MX hosts are probed on (default 25; tests only)\n  \
PORTCULLIS_CHECK_ALLOW_PRIVATE  let checks connect to private addresses (tests only)\n  \
PORTCULLIS_CHECK_CA_FILE     extra root certificate the checks trust (tests only)\n  \
PORTCULLIS_SECURE_COOKIES    true when the dashboard is served over HTTPS\n  \
PORTCULLIS_SITE_ROOT         folder with the built site assets (found automatically)\n  \
PORTCULLIS_LOG               log filter (default info)"
)]
pub struct Cli {
    /// TOML configuration file (keys as the variables above, lower case, without the prefix).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the dashboard, API and policy host (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Print the one-time token first-run setup asks for when the dashboard is reachable from
    /// other machines (exits with 1 once an administrator exists).
    SetupToken,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage domains.
    #[command(subcommand)]
    Domain(DomainCommand),
    /// Show, set and version MTA-STS policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Show the DNS records to publish and check them live.
    #[command(subcommand)]
    Dns(DnsCommand),
    /// Import TLS-RPT reports from files and folders: .json, .json.gz, .zip, .eml messages,
    /// Maildir folders and mbox files. Prints one tab-separated line per report (stored,
    /// duplicate or failed) and a summary; exits with 1 when any report failed.
    Import {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Print failures and the summary only.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Poll the report mailbox configured by PORTCULLIS_IMAP_URL once, now: prints one line per
    /// message (stored, failed or deferred) and exits with 1 when the mailbox could not be read.
    #[command(subcommand)]
    Imap(ImapCommand),
}

#[derive(Debug, Subcommand)]
pub enum ImapCommand {
    /// One pass over the mailbox, as the server makes every imap_interval_secs.
    Poll,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; prints a one-time password to change at first sign-in.
    Create {
        email: String,
        /// Platform administrator: sees and manages every organisation.
        #[arg(long)]
        admin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organisation; prints its identifier (slug).
    Create {
        name: String,
        /// E-mail of an existing user who becomes its owner.
        #[arg(long)]
        owner: Option<String>,
    },
    /// List organisations (identifier and name, tab-separated).
    List,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token; prints the token (shown once).
    Create {
        /// Organisation identifier (slug).
        #[arg(long)]
        org: String,
        /// owner, editor or viewer.
        #[arg(long)]
        role: String,
        /// A name to recognise the token by.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DomainCommand {
    /// Register one or more domains; prints each canonical name added.
    Add {
        #[arg(long)]
        org: String,
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// List domains (name and organisation, tab-separated).
    List {
        #[arg(long)]
        org: Option<String>,
        /// Substring of the name.
        #[arg(long)]
        search: Option<String>,
    },
    /// Delete a domain.
    Remove {
        #[arg(long)]
        org: String,
        name: String,
    },
    /// Print the readiness gate for enforce (ok or FAIL, code, detail; tab-separated). Exits
    /// with 3 when the domain is not ready.
    Readiness {
        name: String,
        /// Print the API's JSON shape instead.
        #[arg(long)]
        json: bool,
    },
    /// Move a domain to testing, enforce or none (removal); prints the new policy id. Exits
    /// with 4, listing the failing items, when the readiness gate refuses.
    Transition {
        name: String,
        /// testing, enforce or none.
        #[arg(long)]
        to: String,
        /// The domain name again: overrides a failed gate, or confirms a removal.
        #[arg(long)]
        confirm: Option<String>,
        /// Why (recorded; required to override the gate).
        #[arg(long)]
        reason: Option<String>,
    },
    /// The domain's mode changes, newest first (time, from, to, who, policy id, why;
    /// tab-separated).
    History { name: String },
    /// Fix MX drift in enforce: add every live MX the policy misses (from the latest check);
    /// prints the new policy id. Publish it in _mta-sts next.
    FixDrift { name: String },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Print the served policy text of a domain.
    Show { domain: String },
    /// Set a domain's policy; prints the policy id now served (a new one when the text changed).
    Set {
        domain: String,
        /// testing, enforce or none.
        #[arg(long)]
        mode: String,
        /// Seconds senders may cache the policy (0..=31557600).
        #[arg(long, value_name = "SECONDS")]
        max_age: u64,
        /// An MX pattern (repeat for each): mx1.example.com or *.mx.example.com.
        #[arg(long = "mx", value_name = "PATTERN")]
        mx: Vec<String>,
    },
    /// List versions, newest first: id, time, author and what changed (tab-separated).
    Versions { domain: String },
    /// Look up the domain's live MX records and print proposed mx patterns, one per line.
    FromMx { domain: String },
}

#[derive(Debug, Subcommand)]
pub enum DnsCommand {
    /// Print the records to publish (name, type and value, tab-separated).
    Records {
        domain: String,
        /// Print a BIND zone-file snippet instead.
        #[arg(long)]
        zone: bool,
    },
    /// Check the domain now and print every finding (severity, code, subject, what was seen,
    /// the fix; tab-separated). Exits with 3 when a finding is an error.
    Check {
        domain: String,
        /// Print the run as JSON (the API's shape) instead.
        #[arg(long)]
        json: bool,
    },
}
