//! The command line's arguments (clap).

use clap::{Parser, Subcommand};
use std::path::PathBuf;

// `--help`'s long text (every setting) is added at run time from `config::reference`.
#[derive(Debug, Parser)]
#[command(
    name = "portcullis",
    version,
    about = "Hosted MTA-STS policies and TLS-RPT reports for your domains"
)]
pub struct Cli {
    /// TOML configuration file (keys as the variables above, lower case, without the prefix,
    /// top-level or in [section] tables).
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
    /// Print every setting (variable, TOML key, default, meaning) as a Markdown table.
    Settings,
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
    /// Mark a domain's control proven (for operators registering their own domains): its
    /// policy is served, its certificate ordered and its reports attributed from now on.
    Prove { name: String },
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
    /// Failure patterns across domains: a sending organisation, sending IP, receiving MX or MX
    /// provider failing on three or more domains (side, kind, key, failed sessions, domains;
    /// tab-separated), most domains first.
    Patterns {
        /// One organisation (default: all).
        #[arg(long)]
        org: Option<String>,
        /// The last N days (default 30).
        #[arg(long, default_value_t = 30)]
        days: i64,
        /// Print the API's JSON shape instead.
        #[arg(long)]
        json: bool,
    },
    /// Which policy each sending organisation applies, from its reports (organisation, policy
    /// id or "unknown", mode, current|older|unknown|not_reported_since, since, sessions, last
    /// report; tab-separated), most sessions first.
    Senders {
        name: String,
        /// The last N days (default 90).
        #[arg(long)]
        days: Option<i64>,
        /// Print the API's JSON shape instead.
        #[arg(long)]
        json: bool,
    },
    /// The domain's MX migration plan: shows the open plan's steps (code, state, earliest safe
    /// moment, title; tab-separated); with --add/--retire opens one (a provider switch takes
    /// both); with --close closes it (completed when every step is done, cancelled otherwise).
    MxPlan {
        name: String,
        /// An MX host to add (repeatable).
        #[arg(long)]
        add: Vec<String>,
        /// An MX host to retire (repeatable).
        #[arg(long)]
        retire: Vec<String>,
        #[arg(long, conflicts_with_all = ["add", "retire"])]
        close: bool,
        /// Print the API's JSON shape instead.
        #[arg(long)]
        json: bool,
    },
    /// Fix MX drift in enforce: add every live MX the policy misses (from the latest check);
    /// prints the new policy id. Publish it in _mta-sts next.
    FixDrift { name: String },
    /// Claim a name another organisation registered but never proved: prints the TXT record
    /// (and the delegation CNAMEs) that prove the claim.
    Claim {
        #[arg(long)]
        org: String,
        name: String,
    },
    /// Look for a claim's proof in DNS; once found, the name moves to the claiming
    /// organisation. Exits with 3 while not proven.
    ClaimCheck {
        #[arg(long)]
        org: String,
        name: String,
    },
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
    /// Choose how the domain's records reach DNS: delegated (three CNAMEs into this server's
    /// zone), manual, or push (to the organisation's DNS server); prints the records to publish.
    Setup {
        domain: String,
        /// delegated, manual or push.
        #[arg(long)]
        to: String,
    },
    /// Push the current id of a domain in push mode to its DNS server now, then verify it.
    /// Exits with 3 when the push or its verification failed.
    Push { domain: String },
    /// Set an organisation's push settings: RFC 2136 with TSIG (--server, --key-name and
    /// --secret-file, the base64 secret of a BIND key on its first line), or Cloudflare's API
    /// (--provider cloudflare and --secret-file holding the API token). The secret is stored
    /// sealed. With no settings given, prints the current ones.
    PushSettings {
        #[arg(long)]
        org: String,
        /// rfc2136 or cloudflare.
        #[arg(long, default_value = "rfc2136")]
        provider: String,
        /// The primary server: 192.0.2.1, 192.0.2.1:53, tcp://[2001:db8::1]:53.
        #[arg(long)]
        server: Option<String>,
        #[arg(long)]
        key_name: Option<String>,
        /// hmac-sha256, hmac-sha384 or hmac-sha512.
        #[arg(long, default_value = "hmac-sha256")]
        algorithm: String,
        #[arg(long, value_name = "FILE")]
        secret_file: Option<std::path::PathBuf>,
        /// Remove the settings instead (refused while a domain uses push).
        #[arg(long)]
        remove: bool,
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
