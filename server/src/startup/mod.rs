//! Startup: opening the database and the services, binding every listener, and running them
//! until the server is told to stop. `portcullis serve` and the tests start Portcullis the same
//! way: [`Application::build`], then [`Application::run_until_stopped`] (or
//! [`Application::run_until`] with a stop of the caller's choosing).

mod listeners;
mod services;
mod supervisor;
mod workers;

pub use listeners::site_root;
pub use services::{open, open_as_operator};

use crate::dns::answer::Zone;
use crate::dns::DnsListeners;
use crate::ingest::imap::ImapSettings;
use crate::ingest::smtp::{self, SmtpSettings};
use crate::listener::{self, ListenerLimits};
use crate::tls::acme::{directory_url, AcmeSettings, HttpChallenges};
use crate::tls::certs::{self, CertManager};
use crate::tls::https::{self, CertResolver};
use crate::{build_public_router, build_router, leptos_options, Config, ServerState};
use anyhow::Context;
use app::ssr::AppState;
use portcullis_service::Services;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// A configured server whose listeners are bound (so their addresses are known, port 0 included)
/// and whose configuration has been checked, but which serves nothing yet.
pub struct Application {
    config: Config,
    services: Services,
    limits: ListenerLimits,
    resolver: Arc<CertResolver>,
    dashboard: TcpListener,
    https: Option<TcpListener>,
    smtp: Option<(TcpListener, SmtpSettings)>,
    public_http: Option<TcpListener>,
    imap: Option<ImapSettings>,
    dns: Option<(DnsListeners, Arc<Zone>)>,
}

impl Application {
    /// Opens the configured database and binds every configured listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let services = open(&config).await?;
        Self::with_services(config, services).await
    }

    /// As [`Application::build`], over services the caller opened.
    pub async fn with_services(config: Config, services: Services) -> anyhow::Result<Self> {
        let limits = config.listener_limits().map_err(anyhow::Error::msg)?;
        let imap = config.imap_settings().map_err(|e| anyhow::anyhow!(e))?;
        let resolver = Arc::new(CertResolver::default());
        let dashboard = bind(&config.http_addr, None).await?;
        let https = match &config.https_addr {
            Some(addr) => Some(bind(addr, Some("https_addr")).await?),
            None => None,
        };
        let smtp = match &config.smtp_addr {
            Some(addr) => {
                let settings = listeners::smtp_settings(&config, &resolver)?;
                Some((bind(addr, Some("smtp_addr")).await?, settings))
            }
            None => None,
        };
        let public_http = match &config.public_http_addr {
            Some(addr) => Some(bind(addr, Some("public_http_addr")).await?),
            None => None,
        };
        let dns = match (config.dns_addr, config.dns_zone_settings().map_err(anyhow::Error::msg)?) {
            (Some(addr), Some(zone)) => {
                let listeners = DnsListeners::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr} (dns_addr)"))?;
                Some((listeners, Arc::new(zone)))
            }
            _ => None,
        };
        Ok(Self {
            config,
            services,
            limits,
            resolver,
            dashboard,
            https,
            smtp,
            public_http,
            imap,
            dns,
        })
    }

    pub fn services(&self) -> &Services {
        &self.services
    }

    /// The dashboard's address (the one `http_addr` asked for, with its real port).
    pub fn dashboard_addr(&self) -> SocketAddr {
        local_addr(&self.dashboard)
    }

    pub fn https_addr(&self) -> Option<SocketAddr> {
        self.https.as_ref().map(local_addr)
    }

    pub fn smtp_addr(&self) -> Option<SocketAddr> {
        self.smtp.as_ref().map(|(l, _)| local_addr(l))
    }

    pub fn public_http_addr(&self) -> Option<SocketAddr> {
        self.public_http.as_ref().map(local_addr)
    }

    /// The built-in DNS server's address (UDP and TCP), when it runs.
    pub fn dns_addr(&self) -> Option<SocketAddr> {
        self.dns.as_ref().map(|(l, _)| l.local_addr())
    }

    /// Serves until Ctrl-C or SIGTERM (what systemd and orchestrators send).
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(stop_signal()).await
    }

    /// Serves until `stop` completes; then listeners stop accepting and open connections get
    /// the shutdown grace period.
    pub async fn run_until(self, stop: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let Self {
            config,
            services,
            limits,
            resolver,
            dashboard,
            https,
            smtp,
            public_http,
            imap,
            dns,
        } = self;
        let root = site_root(&config);
        let challenges = Arc::new(HttpChallenges::shared(services.clone()));
        let state = server_state(&services, &config, root.clone(), challenges.clone());
        let router = build_router(state.clone());
        let sup = supervisor::Supervisor::new(state.metrics.clone());
        let grace = Duration::from_secs(config.shutdown_grace_secs);
        let (stop_tx, stopping) = tokio::sync::watch::channel(false);
        let stopped = move || {
            let mut stopping = stopping.clone();
            async move {
                let _ = stopping.wait_for(|stopped| *stopped).await;
            }
        };

        // The other listeners (HTTPS, SMTP, public HTTP), awaited at the end so each drains.
        let mut edges = Vec::new();
        announce_setup(&services, &config.http_addr).await;
        tracing::info!(addr = %config.http_addr, site = %root.display(), database = %config.redacted_database_url(), "Portcullis is listening");
        if let Some(listener) = https {
            let loaded = certs::load_stored(&services, &resolver).await;
            tracing::info!(addr = %local_addr(&listener), certificates = loaded, "HTTPS policy host is listening");
            // The dashboard stays off the public edge unless the operator puts it there.
            let router = if config.https_dashboard {
                router.clone()
            } else {
                build_public_router(state.clone(), false)
            };
            edges.push(tokio::spawn(https::serve(
                listener,
                https::server_config(resolver.clone()),
                router,
                Some(state.clone()),
                limits.clone(),
                stopped(),
                grace,
            )));
            workers::start_certificate_sync(&sup, &services, &resolver);
        }
        match config.acme_directory.as_deref() {
            Some(dir) => {
                if config.https_addr.is_none() {
                    tracing::warn!(
                        "acme_directory is set without https_addr: certificates are obtained but not served"
                    );
                }
                workers::start_acme(
                    &sup,
                    CertManager {
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
                    },
                );
            }
            None if config.https_addr.is_some() => {
                tracing::warn!("https_addr is set without acme_directory: no certificates will be obtained")
            }
            None => {}
        }
        if let Some((listener, settings)) = smtp {
            tracing::info!(addr = %local_addr(&listener), recipients = %settings.recipients.join(", "), starttls = settings.tls.is_some(), "TLS-RPT mail receiver is listening");
            edges.push(tokio::spawn(smtp::serve(
                listener,
                settings,
                services.clone(),
                stopped(),
                grace,
            )));
        }
        match services.refresh_snapshot().await {
            Ok(n) => tracing::info!(policies = n, "serving MTA-STS policies"),
            Err(e) => tracing::error!(error = %e, "could not load the served policies"),
        }
        workers::start_snapshot_refresh(&sup, &services);
        workers::start_change_follower(&sup, &services, &resolver);
        workers::start_monitor(&sup, &config, &services);
        workers::start_alerts(&sup, &config, &services);
        if let Some(settings) = imap {
            workers::start_imap(&sup, &config, &services, settings);
        }
        workers::start_session_purge(&sup, &services);
        if let Some(listener) = public_http {
            tracing::info!(addr = %local_addr(&listener), "public HTTP edge is listening (ACME answers, policies, report POSTs)");
            edges.push(tokio::spawn(listener::serve_http(
                listener,
                None,
                build_public_router(state, true),
                None,
                limits.clone(),
                stopped(),
                grace,
            )));
        }
        if let Some((listeners, zone)) = dns {
            tracing::info!(addr = %listeners.local_addr(), zone = %zone.origin(), "authoritative DNS server is listening (UDP and TCP)");
            edges.push(tokio::spawn(crate::dns::serve(
                listeners,
                zone,
                services.clone(),
                config.dns_rate_limit,
                stopped(),
            )));
        }
        tokio::spawn(async move {
            stop.await;
            tracing::info!("shutting down");
            let _ = stop_tx.send(true);
        });
        listener::serve_http(dashboard, None, router, None, limits, stopped(), grace).await;
        // Every listener drains within the same grace period, side by side.
        for edge in edges {
            let _ = edge.await;
        }
        if let Err(e) = services.release_jobs().await {
            tracing::warn!(error = %e, "could not hand the periodic jobs over; another instance takes them when the leases expire");
        }
        services.close().await;
        Ok(())
    }
}

/// The routers' state as `serve` builds it: the services, a fresh flash store, the built site
/// at `root`, the ACME answers the certificate manager fills, and the configured report path.
/// The tests build theirs with it too.
pub fn server_state(
    services: &Services,
    config: &Config,
    root: PathBuf,
    challenges: Arc<HttpChallenges>,
) -> ServerState {
    let app = AppState {
        services: services.clone(),
        secure_cookies: config.secure_cookies,
    };
    ServerState::new(app, leptos_options(root))
        .with_challenges(challenges)
        .with_report_path(&config.report_path)
}

async fn bind(addr: &str, setting: Option<&str>) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.with_context(|| match setting {
        Some(setting) => format!("cannot listen on {addr} ({setting})"),
        None => format!("cannot listen on {addr}"),
    })
}

fn local_addr(listener: &TcpListener) -> SocketAddr {
    listener.local_addr().expect("a bound TCP listener has an address")
}

/// With no users yet, says where to create the first administrator (and the token, when the
/// dashboard is reachable from elsewhere).
async fn announce_setup(services: &Services, http_addr: &str) {
    if !services.needs_setup().await {
        return;
    }
    match services.setup_token().await {
        Ok(Some(token)) if services.setup_token_required() => tracing::info!(
            "no users yet: open http://{http_addr}/setup to create the first administrator, with the setup token {token}"
        ),
        _ => tracing::info!("no users yet: open http://{http_addr}/setup to create the first administrator"),
    }
}

/// Ctrl-C, or SIGTERM.
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
