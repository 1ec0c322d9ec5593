//! Startup as production runs it: `Application::build` binds every configured listener (port 0
//! included, so tests learn the real ports), serves, and stops when told; the real binary stops
//! on SIGTERM and exits 0.

use crate::common;
use axum::http::StatusCode;
use portcullis_server::{Application, Config};
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::io::AsyncReadExt;

fn config(dir: &std::path::Path) -> Config {
    Config {
        database_url: format!("sqlite://{}", dir.join("p.db").display()),
        http_addr: "127.0.0.1:0".into(),
        smtp_addr: Some("127.0.0.1:0".into()),
        public_host: Some("reports.example.net".into()),
        monitor_interval_secs: 0,
        alert_interval_secs: 0,
        shutdown_grace_secs: 2,
        ..Config::default()
    }
}

#[tokio::test]
async fn application_binds_serves_and_stops_when_told() {
    let dir = tempfile::tempdir().unwrap();
    let app = Application::build(config(dir.path())).await.unwrap();
    let dashboard = app.dashboard_addr();
    let smtp = app.smtp_addr().expect("smtp_addr is configured");
    assert_ne!(dashboard.port(), 0, "the real port is known before serving");
    assert!(app.https_addr().is_none() && app.public_http_addr().is_none());
    assert!(app.services().needs_setup().await, "a fresh database has no users yet");

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let (status, _, body) = common::http_get(dashboard, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("\"database\":\"ok\""));
    let mut greeting = [0u8; 4];
    let mut mail = tokio::net::TcpStream::connect(smtp).await.unwrap();
    mail.read_exact(&mut greeting).await.unwrap();
    assert_eq!(&greeting, b"220 ", "the mail receiver greets");

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("stops within the grace period")
        .unwrap()
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(dashboard).await.is_err(),
        "the dashboard no longer accepts connections"
    );
}

#[tokio::test]
async fn a_listener_that_cannot_bind_is_a_startup_error_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let config = Config {
        smtp_addr: Some(taken.local_addr().unwrap().to_string()),
        ..config(dir.path())
    };
    let error = Application::build(config).await.err().expect("the port is taken");
    assert!(format!("{error:#}").contains("(smtp_addr)"), "{error:#}");
}

#[tokio::test]
async fn the_binary_stops_on_sigterm_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("serve")
        .env(
            "PORTCULLIS_DATABASE_URL",
            format!("sqlite://{}", dir.path().join("p.db").display()),
        )
        .env("PORTCULLIS_HTTP_ADDR", addr.to_string())
        .env("PORTCULLIS_MONITOR_INTERVAL_SECS", "0")
        .env("PORTCULLIS_SHUTDOWN_GRACE_SECS", "2")
        .env("PORTCULLIS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let up = common::accepts_connections(addr).await;
    if !up {
        let _ = child.kill();
        panic!("the server did not start on {addr}");
    }
    let (status, _, _) = common::http_get(addr, "/healthz").await;
    assert_eq!(status, StatusCode::OK);

    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let mut exit = None;
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            exit = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let Some(exit) = exit else {
        let _ = child.kill();
        panic!("still running 5 s after SIGTERM");
    };
    assert_eq!(exit.code(), Some(0), "a stop asked for is a clean exit");
}
