use anyhow::{bail, Context};
use app::ssr::{AppState, FlashStore};
use clap::Parser;
use portcullis_dnscheck::{Checker, Dns};
use portcullis_domain::{DomainName, Mode, OrgSlug, PolicySpec};
use portcullis_server::acme::{directory_url, AcmeSettings, HttpChallenges};
use portcullis_server::certs::CertManager;
use portcullis_server::cli::{
    Cli, Command, DnsCommand, DomainCommand, ImapCommand, OrgCommand, PolicyCommand, TokenCommand, UserCommand,
};
use portcullis_server::https::{self, CertResolver};
use portcullis_server::{build_router, leptos_options, Config, ServerState};
use portcullis_service::{DnsConfig, Services};
use portcullis_store::{OrgAccess, SaveOutcome, Store};
use std::path::PathBuf;
use std::sync::Arc;

fn main() {
    portcullis_server::allocator::tune();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("cannot start the async runtime");
    runtime.block_on(async_main());
}

async fn async_main() {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("portcullis: configuration error: {e}");
            std::process::exit(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&config.log).unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = run(cli.command.unwrap_or(Command::Serve), config).await {
        eprintln!("portcullis: {e:#}");
        std::process::exit(1);
    }
}

async fn open(config: &Config) -> anyhow::Result<Services> {
    let store = Store::connect(&config.database_url)
        .await
        .with_context(|| format!("cannot open the database {}", config.redacted_database_url()))?;
    store
        .migrate()
        .await
        .context("database migration failed; the server was not started")?;
    let ingest = config.ingest_config().map_err(|e| anyhow::anyhow!(e))?;
    let gate = config.gate_config().map_err(|e| anyhow::anyhow!(e))?;
    let services = Services::new(store)
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the database: {e}"))?
        .with_ingest_config(ingest)
        .with_gate_config(gate);
    let services = with_alerts(config, services)?;
    let dns = match Dns::new(config.dns_upstream) {
        Ok(dns) => dns,
        Err(e) => {
            tracing::warn!(error = %e, "live DNS look-ups and checks are unavailable");
            return Ok(services);
        }
    };
    let settings = config.check_settings().map_err(|e| anyhow::anyhow!(e))?;
    let checker = Checker::new(dns.clone(), settings).map_err(|e| anyhow::anyhow!("DNS checks: {e}"))?;
    let dns_config = DnsConfig {
        public_host: config.public_host.clone(),
        reports: config.report_addresses(),
    };
    Ok(services.with_dns(dns).with_checker(checker, dns_config))
}

/// Alert delivery: webhooks always, e-mail when an SMTP relay is configured.
fn with_alerts(config: &Config, services: Services) -> anyhow::Result<Services> {
    let from = config.alert_from.clone().unwrap_or_else(|| {
        format!(
            "portcullis@{}",
            config
                .public_host
                .as_deref()
                .unwrap_or("localhost")
                .trim_end_matches('.')
        )
    });
    let settings = portcullis_notify::NotifySettings {
        smtp_url: config.alert_smtp_url.clone(),
        from,
        allow_private: config.check_allow_private,
        extra_roots: config.check_settings().map_err(|e| anyhow::anyhow!(e))?.extra_roots,
        timeout: std::time::Duration::from_secs(15),
    };
    let notifier = portcullis_notify::Notifier::new(settings).map_err(|e| anyhow::anyhow!("{e}"))?;
    let link = config
        .public_host
        .as_deref()
        .map(|h| format!("https://{}/alerts", h.trim_end_matches('.')))
        .unwrap_or_default();
    Ok(services.with_notifier(Arc::new(notifier), link))
}

/// The organisation that holds `domain`, with operator rights (names are unique platform-wide).
async fn operator_domain_access(services: &Services, domain: &str) -> anyhow::Result<OrgAccess> {
    let name = DomainName::parse(domain).map_err(|e| anyhow::anyhow!("{domain}: {e}"))?;
    let accesses = services.store.operator_accesses().await?;
    let (access, _) = services
        .store
        .find_domain(&accesses, &name)
        .await?
        .with_context(|| format!("no domain {name} is registered (see `portcullis domain list`)"))?;
    Ok(access)
}

async fn policy_command(services: &Services, command: PolicyCommand) -> anyhow::Result<()> {
    match command {
        PolicyCommand::Show { domain } => {
            let access = operator_domain_access(services, &domain).await?;
            let state = services.policy_state(&access, &domain).await.map_err(fail)?;
            let current = state
                .current
                .with_context(|| format!("{} has no policy yet (see `portcullis policy set`)", state.domain))?;
            eprintln!("# id {} ({})", current.policy_id, current.note);
            print!("{}", current.body.replace("\r\n", "\n"));
            for w in state.policy.iter().flat_map(|p| p.warnings()) {
                eprintln!("warning: {}", w.message());
            }
        }
        PolicyCommand::Set {
            domain,
            mode,
            max_age,
            mx,
        } => {
            let access = operator_domain_access(services, &domain).await?;
            let mode = Mode::parse(&mode).map_err(|e| anyhow::anyhow!("--mode: {e}"))?;
            let spec = PolicySpec { mode, max_age, mx };
            match services
                .save_policy(&access, &domain, &spec, "command line")
                .await
                .map_err(fail)?
            {
                SaveOutcome::Saved(v) => {
                    println!("{}", v.policy_id);
                    eprintln!(
                        "saved: {}; now publish _mta-sts TXT \"v=STSv1; id={}\"",
                        v.note, v.policy_id
                    );
                }
                SaveOutcome::Unchanged(v) => {
                    println!("{}", v.policy_id);
                    eprintln!("unchanged: the served policy is already this text");
                }
            }
            let policy = portcullis_domain::Policy::from_spec(&spec).map_err(|e| anyhow::anyhow!("{e}"))?;
            for w in policy.warnings() {
                eprintln!("warning: {}", w.message());
            }
        }
        PolicyCommand::Versions { domain } => {
            let access = operator_domain_access(services, &domain).await?;
            for v in services.policy_versions(&access, &domain).await.map_err(fail)? {
                let when = chrono::DateTime::from_timestamp(v.created_at, 0)
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default();
                println!("{}\t{when}\t{}\t{}", v.policy_id, v.author, v.note);
            }
        }
        PolicyCommand::FromMx { domain } => {
            let access = operator_domain_access(services, &domain).await?;
            let proposal = services.propose_from_mx(&access, &domain).await.map_err(fail)?;
            if let Some(why) = &proposal.explanation {
                bail!("{why}");
            }
            for r in proposal.records() {
                eprintln!("MX {} {}", r.preference, r.host);
            }
            for u in &proposal.suggestion.unusable {
                eprintln!("cannot be covered: {} ({})", u.host, u.reason);
            }
            for p in &proposal.suggestion.patterns {
                println!("{}", p.pattern);
                eprintln!("  covers {}", p.covers.join(", "));
            }
        }
    }
    Ok(())
}

async fn dns_command(services: &Services, command: DnsCommand) -> anyhow::Result<()> {
    match command {
        DnsCommand::Records { domain, zone } => {
            let access = operator_domain_access(services, &domain).await?;
            let overview = services.dns_overview(&access, &domain).await.map_err(fail)?;
            if zone {
                print!("{}", overview.zone);
            } else {
                for r in &overview.records {
                    println!("{}\t{}\t{}", r.name, r.rtype, r.value);
                }
            }
            if !overview.public_host_configured {
                eprintln!("warning: PORTCULLIS_PUBLIC_HOST is not set; the CNAME target is a placeholder");
            }
            if !overview.has_policy {
                eprintln!("note: no policy yet, so no _mta-sts record (see `portcullis policy set`)");
            }
        }
        DnsCommand::Check { domain, json } => {
            let access = operator_domain_access(services, &domain).await?;
            let run = services.check_dns(&access, &domain, "cli").await.map_err(fail)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&run)?);
            } else {
                for f in &run.findings {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        f.severity.as_str(),
                        f.code,
                        f.subject,
                        f.seen,
                        f.fix
                    );
                }
                eprintln!("status: {}", run.status.as_str());
            }
            if run.status == portcullis_domain::dns::Status::Error {
                std::process::exit(3);
            }
        }
    }
    Ok(())
}

async fn operator_access(services: &Services, org: &str) -> anyhow::Result<OrgAccess> {
    let slug = OrgSlug::parse(org).map_err(|e| anyhow::anyhow!("{e}"))?;
    services
        .store
        .operator_access(&slug)
        .await?
        .with_context(|| format!("no organisation {org:?} (see `portcullis org list`)"))
}

fn fail(e: portcullis_service::ServiceError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    let services = open(&config)
        .await?
        .with_setup_token_required(!dashboard_is_loopback_only(&config));
    match command {
        Command::Serve => serve(config, services).await?,
        Command::Migrate => eprintln!("database is up to date"),
        Command::SetupToken => match services.setup_token().await.map_err(fail)? {
            Some(token) => println!("{token}"),
            None => anyhow::bail!("Portcullis is already set up: sign in instead"),
        },
        Command::User(UserCommand::Create { email, admin }) => {
            let (user, password) = services
                .create_user_with_one_time_password(&email, admin)
                .await
                .map_err(fail)?;
            eprintln!(
                "created {}{}; one-time password (change it at first sign-in):",
                user.email,
                if admin { " (platform admin)" } else { "" }
            );
            println!("{password}");
        }
        Command::Org(OrgCommand::Create { name, owner }) => {
            let owner = match owner {
                Some(email) => {
                    let email = portcullis_domain::Email::parse(&email).map_err(|e| anyhow::anyhow!("{e}"))?;
                    Some(
                        services
                            .store
                            .user_by_email(&email)
                            .await?
                            .with_context(|| format!("no user {email}"))?,
                    )
                }
                None => None,
            };
            let org = services
                .create_org_as_operator(&name, owner.as_ref())
                .await
                .map_err(fail)?;
            println!("{}", org.slug);
        }
        Command::Org(OrgCommand::List) => {
            for org in services.store.all_orgs().await? {
                println!("{}\t{}", org.slug, org.name);
            }
        }
        Command::Token(TokenCommand::Create { org, role, name }) => {
            let access = operator_access(&services, &org).await?;
            let (secret, _) = services.create_token(&access, &name, &role).await.map_err(fail)?;
            println!("{secret}");
        }
        Command::Domain(DomainCommand::Add { org, names }) => {
            let access = operator_access(&services, &org).await?;
            let mut failed = false;
            for name in names {
                match services.add_domain(&access, &name).await {
                    Ok(row) => println!("{}", row.name),
                    Err(e) => {
                        eprintln!("{name}: {e}");
                        failed = true;
                    }
                }
            }
            if failed {
                bail!("some domains were not added");
            }
        }
        Command::Domain(DomainCommand::List { org, search }) => {
            let accesses = match org {
                Some(org) => vec![operator_access(&services, &org).await?],
                None => services.store.operator_accesses().await?,
            };
            let mut page = 1;
            loop {
                let found = services
                    .list_domains_in(&accesses, search.as_deref(), page)
                    .await
                    .map_err(fail)?;
                for d in &found.rows {
                    println!("{}\t{}", d.name, d.org_slug);
                }
                if page * portcullis_service::DOMAINS_PAGE_SIZE >= found.total {
                    break;
                }
                page += 1;
            }
        }
        Command::Domain(DomainCommand::Remove { org, name }) => {
            let access = operator_access(&services, &org).await?;
            services.delete_domain(&access, &name).await.map_err(|e| match e {
                portcullis_service::ServiceError::NotFound => anyhow::anyhow!("no domain {name} in {org}"),
                other => fail(other),
            })?;
            eprintln!("removed {name}");
        }
        Command::Domain(DomainCommand::Readiness { name, json }) => {
            let access = operator_domain_access(&services, &name).await?;
            let view = services.readiness(&access, &name).await.map_err(fail)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                for i in &view.readiness.items {
                    println!(
                        "{}\t{}\t{}",
                        if i.ok { "ok" } else { "FAIL" },
                        i.code.as_str(),
                        i.detail
                    );
                }
                eprintln!("mode: {}; ready for enforce: {}", view.mode, view.readiness.ready);
                if !view.mx_drift.is_empty() {
                    eprintln!(
                        "MX drift: {} not covered by the enforced policy (fix: portcullis domain fix-drift {})",
                        view.mx_drift.join(", "),
                        view.domain
                    );
                }
                if let Some(advice) = &view.max_age_advice {
                    eprintln!("{advice}");
                }
            }
            if !view.readiness.ready {
                std::process::exit(3);
            }
        }
        Command::Domain(DomainCommand::Transition {
            name,
            to,
            confirm,
            reason,
        }) => {
            let access = operator_domain_access(&services, &name).await?;
            let request = portcullis_service::TransitionRequest { to, confirm, reason };
            match services
                .transition(&access, &name, &request, "command line")
                .await
                .map_err(fail)?
            {
                portcullis_service::TransitionOutcome::Done {
                    transition,
                    sts_record,
                    retire_at,
                } => {
                    println!("{}", transition.policy_id);
                    eprintln!(
                        "{name}: {} → {}; now publish _mta-sts TXT \"{sts_record}\"",
                        transition.from_mode, transition.to_mode
                    );
                    if let Some(t) = retire_at.and_then(|t| chrono::DateTime::from_timestamp(t, 0)) {
                        eprintln!("\"mode: none\" is served until {}, then nothing", t.to_rfc3339());
                    }
                }
                portcullis_service::TransitionOutcome::Refused(readiness) => {
                    for i in readiness.failing() {
                        eprintln!("FAIL\t{}\t{}", i.code.as_str(), i.detail);
                    }
                    eprintln!("not moved: the readiness gate failed (override with --confirm {name} --reason ...)");
                    std::process::exit(4);
                }
            }
        }
        Command::Domain(DomainCommand::History { name }) => {
            let access = operator_domain_access(&services, &name).await?;
            for t in services.transitions(&access, &name).await.map_err(fail)? {
                let when = chrono::DateTime::from_timestamp(t.created_at, 0)
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default();
                let overridden = if t.overridden { " (gate overridden)" } else { "" };
                println!(
                    "{when}\t{}\t{}{overridden}\t{}\t{}\t{}",
                    t.from_mode, t.to_mode, t.actor, t.policy_id, t.reason
                );
            }
        }
        Command::Domain(DomainCommand::FixDrift { name }) => {
            let access = operator_domain_access(&services, &name).await?;
            let fix = services
                .fix_mx_drift(&access, &name, "command line")
                .await
                .map_err(fail)?;
            eprintln!(
                "added {} to the policy; now publish _mta-sts.{} TXT \"{}\"",
                fix.added.join(", "),
                name.trim_end_matches('.').to_ascii_lowercase(),
                fix.sts_record
            );
            println!("{}", fix.policy_id);
        }
        Command::Policy(command) => policy_command(&services, command).await?,
        Command::Dns(command) => dns_command(&services, command).await?,
        Command::Imap(ImapCommand::Poll) => {
            use portcullis_server::imap::MessageResult;
            let settings = config
                .imap_settings()
                .map_err(|e| anyhow::anyhow!(e))?
                .ok_or_else(|| anyhow::anyhow!("no mailbox configured: set PORTCULLIS_IMAP_URL"))?;
            let pass = portcullis_server::imap::poll_once(&services, &settings)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {e}", settings.mailbox()))?;
            for (uid, subject, result) in &pass.messages {
                let (word, detail) = match result {
                    MessageResult::Stored {
                        new,
                        duplicates,
                        refused,
                    } => (
                        "stored",
                        format!(
                            "{new} new, {duplicates} duplicate, {refused} refused report(s); moved to {}",
                            settings.processed_folder
                        ),
                    ),
                    MessageResult::Failed(why) => ("failed", format!("{why}; moved to {}", settings.failed_folder)),
                    MessageResult::Deferred => ("deferred", "storage unavailable; left in place".to_string()),
                };
                println!("{uid}\t{word}\t{subject}\t{detail}");
            }
            eprintln!(
                "{} message(s): {} stored, {} failed, {} deferred",
                pass.messages.len(),
                pass.count(|r| matches!(r, MessageResult::Stored { .. })),
                pass.count(|r| matches!(r, MessageResult::Failed(_))),
                pass.count(|r| *r == MessageResult::Deferred)
            );
        }
        Command::Import { paths, quiet } => {
            use std::io::IsTerminal;
            let mut reporter = portcullis_server::import::Reporter {
                out: std::io::stdout().lock(),
                quiet,
                progress: std::io::stderr().is_terminal(),
            };
            let summary = portcullis_server::import::import_paths(&services, &paths, &mut reporter).await;
            eprintln!(
                "{} report(s): {} stored, {} duplicate, {} failed",
                summary.total(),
                summary.stored,
                summary.duplicates,
                summary.failed
            );
            if summary.failed > 0 {
                std::process::exit(1);
            }
        }
    }
    Ok(())
}

/// The built site (`pkg/portcullis.js` …): explicit setting, then next to the binary
/// (`target/release/../site`), then `./target/site`.
fn site_root(config: &Config) -> PathBuf {
    if let Some(root) = config
        .site_root
        .clone()
        .or_else(|| std::env::var_os("LEPTOS_SITE_ROOT").map(PathBuf::from))
    {
        return root;
    }
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|p| p.to_path_buf()));
    let candidates = exe_dir
        .iter()
        .flat_map(|d| [d.join("../site"), d.join("site")])
        .chain([PathBuf::from("target/site")]);
    for candidate in candidates {
        if candidate.join("pkg/portcullis.js").exists() {
            return candidate;
        }
    }
    tracing::warn!("site assets not found (run `make build`); pages render but will not hydrate");
    PathBuf::from("target/site")
}

async fn serve(config: Config, services: Services) -> anyhow::Result<()> {
    let root = site_root(&config);
    let app = AppState {
        services: services.clone(),
        flash: Arc::new(FlashStore::default()),
        secure_cookies: config.secure_cookies,
    };
    let challenges = Arc::new(HttpChallenges::default());
    let state = ServerState::new(app, leptos_options(root.clone()))
        .with_challenges(challenges.clone())
        .with_report_path(&config.report_path);
    let state_for_tls = state.clone();
    let public_router = portcullis_server::build_public_router(state.clone(), true);
    let router = build_router(state);
    let listener = tokio::net::TcpListener::bind(&config.http_addr)
        .await
        .with_context(|| format!("cannot listen on {}", config.http_addr))?;
    if services.needs_setup().await {
        match services.setup_token().await {
            Ok(Some(token)) if services.setup_token_required() => tracing::info!(
                "no users yet: open http://{}/setup to create the first administrator, with the setup token {token}",
                config.http_addr
            ),
            _ => tracing::info!(
                "no users yet: open http://{}/setup to create the first administrator",
                config.http_addr
            ),
        }
    }
    tracing::info!(addr = %config.http_addr, site = %root.display(), database = %config.redacted_database_url(), "Portcullis is listening");
    let resolver = Arc::new(CertResolver::default());
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    start_policy_tls(
        &config,
        &services,
        &challenges,
        &resolver,
        router.clone(),
        state_for_tls,
        &stop,
    )
    .await?;
    start_smtp(&config, &services, &resolver).await?;
    match services.refresh_snapshot().await {
        Ok(n) => tracing::info!(policies = n, "serving MTA-STS policies"),
        Err(e) => tracing::error!(error = %e, "could not load the served policies"),
    }
    // Changes made by another process (the CLI, a second instance) reach this one within a
    // minute; changes made here are served at once. A database outage keeps the old snapshot.
    let refresh = services.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = refresh.refresh_snapshot().await {
                tracing::warn!(error = %e, "policy snapshot not refreshed; still serving the previous one");
            }
        }
    });
    start_monitor(&config, &services);
    start_alerts(&config, &services);
    start_imap(&config, &services)?;
    let purge = services.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Err(e) = purge.store.purge_expired_sessions().await {
                tracing::warn!(error = %e, "could not purge expired sessions");
            }
        }
    });
    let limits = config.listener_limits().map_err(anyhow::Error::msg)?;
    if let Some(addr) = &config.public_http_addr {
        let public = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} (public_http_addr)"))?;
        tracing::info!(%addr, "public HTTP edge is listening (ACME answers, policies, report POSTs)");
        tokio::spawn(portcullis_server::listener::serve_http(
            public,
            None,
            public_router,
            None,
            limits.clone(),
            stopped(stop.clone()),
            std::time::Duration::from_secs(config.shutdown_grace_secs),
        ));
    }
    tokio::spawn(async move {
        stop_signal().await;
        tracing::info!("shutting down");
        let _ = stop_tx.send(true);
    });
    portcullis_server::listener::serve_http(
        listener,
        None,
        router,
        None,
        limits,
        stopped(stop),
        std::time::Duration::from_secs(config.shutdown_grace_secs),
    )
    .await;
    services.store.close().await;
    Ok(())
}

/// Whether only this machine can reach the dashboard: then first-run setup needs no token.
fn dashboard_is_loopback_only(config: &Config) -> bool {
    match config.http_addr.parse::<std::net::SocketAddr>() {
        Ok(addr) => addr.ip().is_loopback(),
        Err(_) => config.http_addr.starts_with("localhost:"),
    }
}

/// Ctrl-C, or SIGTERM (what systemd and orchestrators send).
async fn stop_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch SIGTERM; only Ctrl-C stops the server");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// Completes once the server is told to stop.
async fn stopped(mut stop: tokio::sync::watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// The TLS-RPT mail receiver (`PORTCULLIS_SMTP_ADDR`), with STARTTLS when a certificate file
/// is configured or the policy host manages certificates.
async fn start_smtp(config: &Config, services: &Services, resolver: &Arc<CertResolver>) -> anyhow::Result<()> {
    let Some(addr) = &config.smtp_addr else {
        return Ok(());
    };
    let recipients = config.smtp_recipients();
    if recipients.is_empty() {
        anyhow::bail!(
            "smtp_addr is set but no report address is known: set PORTCULLIS_PUBLIC_HOST or PORTCULLIS_REPORT_MAILTO"
        );
    }
    let fixed = match (&config.smtp_tls_cert_file, &config.smtp_tls_key_file) {
        (Some(cert), Some(key)) => {
            let cert_pem = std::fs::read_to_string(cert).with_context(|| format!("cannot read {cert}"))?;
            let key_pem = std::fs::read_to_string(key).with_context(|| format!("cannot read {key}"))?;
            Some(https::certified_key(&cert_pem, &key_pem).map_err(|e| anyhow::anyhow!("smtp TLS certificate: {e}"))?)
        }
        (None, None) => None,
        _ => anyhow::bail!("set both smtp_tls_cert_file and smtp_tls_key_file, or neither"),
    };
    let offer_tls = fixed.is_some() || config.https_addr.is_some() || config.acme_directory.is_some();
    let hostname = config
        .smtp_hostname
        .clone()
        .or_else(|| config.public_host.clone())
        .unwrap_or_else(|| "localhost".into());
    let settings = portcullis_server::smtp::SmtpSettings {
        tls: offer_tls.then(|| portcullis_server::smtp::tls_config(fixed, resolver.clone(), &hostname)),
        hostname,
        recipients: recipients.clone(),
        max_message_bytes: config.smtp_max_message_bytes,
        limits: portcullis_server::smtp::SmtpLimits {
            listener: portcullis_server::listener::ListenerLimits {
                // An SMTP client may think for the whole command timeout (RFC 5321).
                idle_timeout: std::time::Duration::from_secs(config.smtp_command_timeout_secs),
                ..config.listener_limits().map_err(anyhow::Error::msg)?
            },
            command_timeout: std::time::Duration::from_secs(config.smtp_command_timeout_secs),
            data_timeout: std::time::Duration::from_secs(config.smtp_data_timeout_secs),
            session_max: std::time::Duration::from_secs(config.smtp_session_max_secs),
        },
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (smtp_addr)"))?;
    tracing::info!(%addr, recipients = %recipients.join(", "), starttls = offer_tls, "TLS-RPT mail receiver is listening");
    tokio::spawn(portcullis_server::smtp::serve(listener, settings, services.clone()));
    Ok(())
}

/// Re-checks every domain's DNS every `monitor_interval_secs` (jittered per domain), looking for
/// due domains once a minute, a bounded number at a time.
fn start_monitor(config: &Config, services: &Services) {
    if config.monitor_interval_secs == 0 {
        tracing::info!("DNS monitor is off (monitor_interval_secs = 0)");
        return;
    }
    let interval = std::time::Duration::from_secs(config.monitor_interval_secs.max(60));
    let concurrency = config.monitor_concurrency.max(1);
    let services = services.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            match services.monitor_pass(interval, concurrency, 500).await {
                Ok(pass) if pass.checked > 0 => tracing::info!(
                    checked = pass.checked,
                    status_changes = pass.status_changes,
                    "DNS monitor pass"
                ),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "DNS monitor pass failed");
                }
            }
        }
    });
}

/// Polls the report mailbox (`PORTCULLIS_IMAP_URL`) every `imap_interval_secs`.
fn start_imap(config: &Config, services: &Services) -> anyhow::Result<()> {
    let Some(settings) = config.imap_settings().map_err(|e| anyhow::anyhow!(e))? else {
        return Ok(());
    };
    let every = std::time::Duration::from_secs(config.imap_interval_secs.max(10));
    tracing::info!(mailbox = %settings.mailbox(), every_secs = every.as_secs(), "polling the report mailbox over IMAP");
    portcullis_server::imap::spawn_poller(services.clone(), settings, every);
    Ok(())
}

/// Evaluates the alert rules and delivers pending alerts every `alert_interval_secs`.
fn start_alerts(config: &Config, services: &Services) {
    if config.alert_interval_secs == 0 {
        tracing::info!("alert delivery is off (alert_interval_secs = 0)");
        return;
    }
    let every = std::time::Duration::from_secs(config.alert_interval_secs.max(10));
    let services = services.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match services.alert_pass(portcullis_store::now()).await {
                Ok(pass) if pass.raised + pass.sent + pass.failed > 0 => {
                    tracing::info!(
                        raised = pass.raised,
                        sent = pass.sent,
                        failed = pass.failed,
                        "alert pass"
                    )
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "alert pass failed"),
            }
        }
    });
}

/// The HTTPS policy host (`PORTCULLIS_HTTPS_ADDR`) with certificates by SNI, and the ACME loop
/// (`PORTCULLIS_ACME_DIRECTORY`) that obtains and renews them.
async fn start_policy_tls(
    config: &Config,
    services: &Services,
    challenges: &Arc<HttpChallenges>,
    resolver: &Arc<CertResolver>,
    router: axum::Router,
    state: ServerState,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let resolver = resolver.clone();
    let manager = config.acme_directory.as_deref().map(|dir| CertManager {
        services: services.clone(),
        resolver: resolver.clone(),
        challenges: challenges.clone(),
        settings: AcmeSettings {
            directory: directory_url(dir),
            contact: config.acme_contact.clone(),
            ca_file: config.acme_ca_file.clone().map(PathBuf::from),
        },
        public_host: config.public_host.clone(),
        dns: services.dns.clone(),
    });
    if let Some(addr) = &config.https_addr {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} (https_addr)"))?;
        let loaded = portcullis_server::certs::load_stored(services, &resolver).await;
        tracing::info!(%addr, certificates = loaded, "HTTPS policy host is listening");
        // The dashboard stays off the public edge unless the operator puts it there.
        let router = if config.https_dashboard {
            router
        } else {
            portcullis_server::build_public_router(state.clone(), false)
        };
        tokio::spawn(https::serve(
            listener,
            https::server_config(resolver.clone()),
            router,
            Some(state),
            config.listener_limits().map_err(anyhow::Error::msg)?,
            stopped(stop.clone()),
        ));
        let (pruning, held) = (services.clone(), resolver.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tick.tick().await;
                portcullis_server::certs::prune(&pruning, &held).await;
            }
        });
    }
    match manager {
        Some(manager) => {
            if config.https_addr.is_none() {
                tracing::warn!("acme_directory is set without https_addr: certificates are obtained but not served");
            }
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
                loop {
                    tick.tick().await;
                    let report = manager.run_once().await;
                    if !report.issued.is_empty() || !report.failed.is_empty() {
                        tracing::info!(
                            issued = report.issued.len(),
                            failed = report.failed.len(),
                            "certificate pass"
                        );
                    }
                }
            });
        }
        None if config.https_addr.is_some() => {
            tracing::warn!("https_addr is set without acme_directory: no certificates will be obtained")
        }
        None => {}
    }
    Ok(())
}
