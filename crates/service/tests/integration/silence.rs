//! Silent senders and broken report paths, day by day on SQLite and PostgreSQL: reports arrive
//! the day after the day they cover, the alert pass runs every day, and each alert fires exactly
//! once, on the day worked out by hand, and never for a sender's usual weekend.
//!
//! Seven weeks from Monday 2026-10-05 (day D0):
//! - alpha.example: `daily.example` reports every day up to D0+34 (a Sunday), then goes quiet
//!   and comes back on D0+44; `weekdays.example` reports Monday to Friday throughout;
//!   `sparse.example` reports on a few Mondays only.
//! - beta.example: `daily.example` reports every day up to D0+30, then nothing.

use portcullis_domain::AlertKind;
use portcullis_service::{Channel, Operator, ReportInput, Services};
use portcullis_store::testing::{Kind, TestDb};

/// 2026-10-05, a Monday, as days since 1970-01-01.
const D0: i64 = 20_731;

fn report(org: &str, domain: &str, day: i64) -> Vec<u8> {
    let start = chrono::DateTime::from_timestamp(day * 86_400, 0).unwrap();
    let end = chrono::DateTime::from_timestamp((day + 1) * 86_400 - 1, 0).unwrap();
    serde_json::json!({
        "organization-name": org,
        "date-range": {"start-datetime": start.to_rfc3339(), "end-datetime": end.to_rfc3339()},
        "contact-info": format!("tlsrpt@{org}"),
        "report-id": format!("{org}-{domain}-{day}"),
        "policies": [{
            "policy": {"policy-type": "no-policy-found", "policy-domain": domain},
            "summary": {"total-successful-session-count": 10, "total-failure-session-count": 0}
        }]
    })
    .to_string()
    .into_bytes()
}

/// Who reports which domain for `day` (offset from D0).
fn reports_for(offset: i64) -> Vec<(&'static str, &'static str)> {
    let weekday = offset % 7; // D0 is a Monday
    let mut out = Vec::new();
    if offset <= 34 || offset >= 44 {
        out.push(("daily.example", "alpha.example"));
    }
    if weekday < 5 {
        out.push(("weekdays.example", "alpha.example"));
    }
    if [0, 14, 35].contains(&offset) {
        out.push(("sparse.example", "alpha.example"));
    }
    if offset <= 30 {
        out.push(("daily.example", "beta.example"));
    }
    out
}

async fn silences(kind: Kind) {
    let db = TestDb::new(kind).await;
    let s = Services::new(db.store.clone()).await.unwrap();
    let login = s
        .setup_first_admin("owner@example.com", "correct horse battery", "correct horse battery")
        .await
        .unwrap();
    let org = s.create_org(&login.user, "Acme").await.unwrap();
    let access = s.org_access(&login.user, &org.slug).await.unwrap();
    let operator = Operator::new(db.store.clone());
    for domain in ["alpha.example", "beta.example"] {
        s.add_domain(&access, domain).await.unwrap();
        s.prove_as_operator(&operator, domain).await.unwrap();
    }

    // Day by day: yesterday's reports arrive, then the pass runs at noon.
    let mut raised_on: Vec<(i64, String, String)> = Vec::new();
    let mut seen = 0;
    for offset in 1..=49 {
        for (sender, domain) in reports_for(offset - 1) {
            s.ingest_report(
                None,
                ReportInput::new(report(sender, domain, D0 + offset - 1), Channel::Import),
            )
            .await
            .unwrap();
        }
        s.scan_alerts((D0 + offset) * 86_400 + 43_200).await.unwrap();
        let alerts = db.store.recent_alerts(&access, 100).await.unwrap();
        for a in alerts.iter().take(alerts.len() - seen) {
            raised_on.push((offset, a.domain.clone(), a.kind.clone()));
        }
        seen = alerts.len();

        // Midway, the domain page's view agrees with the rule (on the real clock, so only
        // its shape: each sender with its rhythm).
        if offset == 40 {
            let status = s.reporting_status(&access, "alpha.example").await.unwrap();
            let names: Vec<Option<&str>> = status
                .senders
                .iter()
                .map(|r| r.reporting.organization.as_deref())
                .collect();
            assert_eq!(
                names,
                [Some("weekdays.example"), Some("sparse.example"), Some("daily.example")]
            );
        }
    }
    raised_on.sort();
    // beta: daily missed D0+31 and D0+32, judged (two days later) on D0+34; the domain missed
    // D0+31..D0+33, judged on D0+35. alpha: daily missed D0+35 and D0+36 (Monday, Tuesday),
    // judged on D0+38; weekdays.example's weekends and sparse.example never; the domain never
    // missed more than a weekend. Nothing again when daily.example comes back.
    assert_eq!(
        raised_on,
        [
            (
                34,
                "beta.example".to_string(),
                AlertKind::SenderSilent.as_str().to_string()
            ),
            (
                35,
                "beta.example".to_string(),
                AlertKind::ReportsStopped.as_str().to_string()
            ),
            (
                38,
                "alpha.example".to_string(),
                AlertKind::SenderSilent.as_str().to_string()
            ),
        ]
    );
    let alerts = db.store.recent_alerts(&access, 100).await.unwrap();
    let alpha = alerts.iter().find(|a| a.domain == "alpha.example").unwrap();
    assert_eq!(
        alpha.detail,
        "daily.example usually reports every day but sent nothing for 2026-11-09 and 2026-11-10 (its last report covers 2026-11-08). A sender that stops reporting may have stopped sending you mail, or can no longer deliver its reports to the rua address."
    );
    let stopped = alerts.iter().find(|a| a.kind == "reports_stopped").unwrap();
    assert!(
        stopped.detail.starts_with(
            "No report has arrived for 2026-11-05, 2026-11-06 and 2026-11-07, although reports usually come every day; the last covers 2026-11-04."
        ),
        "{}",
        stopped.detail
    );
    db.cleanup().await;
}

#[tokio::test]
async fn silences_on_sqlite() {
    silences(Kind::Sqlite).await;
}

#[tokio::test]
async fn silences_on_postgres() {
    silences(Kind::Postgres).await;
}
