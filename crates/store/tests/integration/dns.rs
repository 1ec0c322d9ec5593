//! DNS check runs on SQLite and PostgreSQL: status changes become events, history is pruned,
//! the monitor picks due domains, and one organisation never sees another's runs.

use portcullis_domain::{DomainName, Mode, MxPattern, OrgName, Policy};
use portcullis_store::testing::{Kind, TestDb};
use portcullis_store::{
    CheckNotes, DnsCheckRow, MonitorSchedule, MonitorTarget, StoreError, CHECKS_KEPT, MONITOR_CLAIM_SECS,
};

fn notes(detail: &str) -> CheckNotes {
    CheckNotes {
        status_detail: detail.into(),
        ..CheckNotes::default()
    }
}

fn run(t: i64, status: &str) -> DnsCheckRow {
    DnsCheckRow {
        checked_at: t,
        status: status.into(),
        findings: "[]".into(),
        origin: "user".into(),
    }
}

async fn runs_events_and_monitor(kind: Kind) {
    let db = TestDb::new(kind).await;
    let s = &db.store;
    let mut accesses = Vec::new();
    for org in ["Acme", "Beta"] {
        let name = OrgName::parse(org).unwrap();
        s.create_org(&name, &name.slug().unwrap(), None).await.unwrap();
        accesses.push(s.operator_access(&name.slug().unwrap()).await.unwrap().unwrap());
    }
    let (acme, beta) = (&accesses[0], &accesses[1]);
    let d = DomainName::parse("example.com").unwrap();
    let other = DomainName::parse("beta.example").unwrap();
    s.add_domain(acme, &d).await.unwrap();
    s.add_domain(beta, &other).await.unwrap();

    // The first run and every change of status are events; a repeat is not.
    assert_eq!(
        s.record_dns_check(acme, &d, &run(100, "ok"), &notes("fine"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.record_dns_check(acme, &d, &run(200, "ok"), &notes("fine"))
            .await
            .unwrap()
            .as_deref(),
        Some("ok")
    );
    s.record_dns_check(
        acme,
        &d,
        &run(300, "error"),
        &notes("DNS status is error: sts-record-id-mismatch"),
    )
    .await
    .unwrap();
    let events = s.domain_events(acme, &d, 10).await.unwrap();
    let seen: Vec<(Option<&str>, &str)> = events
        .iter()
        .map(|e| (e.old_value.as_deref(), e.new_value.as_str()))
        .collect();
    assert_eq!(seen, vec![(Some("ok"), "error"), (None, "ok")]);
    assert!(events[0].detail.contains("sts-record-id-mismatch"));
    let latest = s.dns_checks(acme, &d, 1).await.unwrap();
    assert_eq!((latest[0].checked_at, latest[0].status.as_str()), (300, "error"));
    let row = s.domain(acme, &d).await.unwrap().unwrap();
    assert_eq!(row.dns_status.as_deref(), Some("error"));

    // Tenant isolation: Beta cannot read, write or even learn about Acme's domain.
    assert!(matches!(
        s.record_dns_check(beta, &d, &run(400, "ok"), &notes("x")).await,
        Err(StoreError::NotFound)
    ));
    assert!(s.dns_checks(beta, &d, 10).await.unwrap().is_empty());
    assert!(s.domain_events(beta, &d, 10).await.unwrap().is_empty());

    // History is pruned to the newest runs.
    let at = |now| MonitorSchedule {
        now,
        interval: 1_000,
        spread: 1,
    };
    for t in 0..CHECKS_KEPT + 5 {
        s.monitor_record("example.com", &run(1_000 + t, "ok"), &notes("x"), &at(0))
            .await
            .unwrap();
    }
    let kept = s.dns_checks(acme, &d, CHECKS_KEPT).await.unwrap();
    assert_eq!(kept.len() as i64, CHECKS_KEPT);
    assert_eq!(kept[0].checked_at, 1_000 + CHECKS_KEPT + 4);
    assert_eq!(kept.last().unwrap().checked_at, 1_005);

    // The monitor claims due domains: one checked after the cutoff is not due, one never
    // checked is; a claimed domain is nobody else's until its claim expires or is released.
    let last = 1_000 + CHECKS_KEPT + 4;
    let names = |targets: Vec<MonitorTarget>| -> Vec<String> {
        let mut names: Vec<String> = targets.into_iter().map(|t| t.domain).collect();
        names.sort();
        names
    };
    assert_eq!(
        names(s.claim_monitor(&at(last + 999), "a", 10).await.unwrap()),
        ["beta.example"]
    );
    assert_eq!(
        names(s.claim_monitor(&at(last + 1_000), "b", 10).await.unwrap()),
        ["example.com"],
        "due now; the other is still claimed"
    );
    let expired = last + 999 + MONITOR_CLAIM_SECS;
    assert_eq!(
        names(s.claim_monitor(&at(expired), "b", 10).await.unwrap()),
        ["beta.example"],
        "an expired claim is taken over"
    );
    assert!(s.claim_monitor(&at(expired), "c", 10).await.unwrap().is_empty());
    s.release_monitor_claims("b").await.unwrap();
    assert_eq!(
        names(s.claim_monitor(&at(expired), "c", 1).await.unwrap()),
        ["beta.example"],
        "released at a clean stop; never-checked domains first"
    );
    assert!(matches!(
        s.monitor_record("gone.example", &run(1, "ok"), &notes("x"), &at(0))
            .await,
        Err(StoreError::NotFound)
    ));

    assert_eq!(s.monitor_policy("example.com").await.unwrap(), None);
    let policy = Policy::new(Mode::Testing, 86_400, vec![MxPattern::parse("mx.example.com").unwrap()]).unwrap();
    s.save_policy(acme, &d, &policy, "t", "first").await.unwrap();
    let (id, body) = s.monitor_policy("example.com").await.unwrap().unwrap();
    assert_eq!(body, policy.render());
    assert!(!id.is_empty());

    // Deleting the domain removes its runs and events with it.
    s.delete_domain(acme, &d).await.unwrap();
    s.add_domain(acme, &d).await.unwrap();
    assert!(s.dns_checks(acme, &d, 10).await.unwrap().is_empty());
    assert!(s.domain_events(acme, &d, 10).await.unwrap().is_empty());
    db.cleanup().await;
}

#[tokio::test]
async fn runs_events_and_monitor_sqlite() {
    runs_events_and_monitor(Kind::Sqlite).await;
}

#[tokio::test]
async fn runs_events_and_monitor_postgres() {
    runs_events_and_monitor(Kind::Postgres).await;
}
