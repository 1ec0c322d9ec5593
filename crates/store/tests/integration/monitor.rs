//! The DNS monitor's claims on SQLite and PostgreSQL: domains fall due spread over the last
//! tenth of the interval, and instances racing for due domains never claim one twice.

use portcullis_domain::{DomainName, OrgName};
use portcullis_store::testing::{Kind, TestDb};
use portcullis_store::{CheckNotes, DnsCheckRow, MonitorSchedule, Store};
use std::collections::HashMap;

/// 40 domains, all last checked at 0.
async fn checked_domains(s: &Store) {
    let name = OrgName::parse("Acme").unwrap();
    s.create_org(&name, &name.slug().unwrap(), None).await.unwrap();
    let access = s.operator_access(&name.slug().unwrap()).await.unwrap().unwrap();
    for i in 0..40 {
        let domain = DomainName::parse(&format!("d{i}.example")).unwrap();
        s.add_domain(&access, &domain).await.unwrap();
        let run = DnsCheckRow {
            checked_at: 0,
            status: "ok".into(),
            findings: "[]".into(),
            origin: "monitor".into(),
        };
        s.monitor_record(domain.as_str(), &run, &CheckNotes::default())
            .await
            .unwrap();
    }
}

async fn due_times_are_spread(kind: Kind) {
    let db = TestDb::new(kind).await;
    let s = &db.store;
    checked_domains(s).await;
    let at = |now| MonitorSchedule {
        now,
        interval: 1_000,
        spread: 100,
    };
    assert!(
        s.claim_monitor(&at(900), "a", 100).await.unwrap().is_empty(),
        "none is due before the spread begins"
    );
    let halfway = s.claim_monitor(&at(950), "a", 100).await.unwrap().len();
    assert!(
        (5..35).contains(&halfway),
        "{halfway} of 40 due halfway through the spread"
    );
    let rest = s.claim_monitor(&at(1_000), "a", 100).await.unwrap().len();
    assert_eq!(halfway + rest, 40, "all due once the interval is over");
    db.cleanup().await;
}

/// Eight instances claim batches of five at once, round after round until nothing is left:
/// every domain is claimed exactly once.
async fn racing_instances_split_the_domains(kind: Kind) {
    let db = TestDb::new(kind).await;
    checked_domains(&db.store).await;
    let schedule = MonitorSchedule {
        now: 5_000,
        interval: 1_000,
        spread: 100,
    };
    let mut claims: HashMap<String, usize> = HashMap::new();
    loop {
        let mut racers = tokio::task::JoinSet::new();
        for i in 0..8 {
            let store = db.store.clone();
            racers.spawn(async move {
                let holder = format!("instance-{i}");
                store.claim_monitor(&schedule, &holder, 5).await.unwrap()
            });
        }
        let mut round = 0;
        while let Some(done) = racers.join_next().await {
            let batch = done.unwrap();
            round += batch.len();
            for target in batch {
                *claims.entry(target.domain).or_default() += 1;
            }
        }
        if round == 0 {
            break;
        }
    }
    assert_eq!(claims.len(), 40, "every due domain was claimed");
    assert!(claims.values().all(|&n| n == 1), "none twice: {claims:?}");
    db.cleanup().await;
}

#[tokio::test]
async fn monitor_claims_on_sqlite() {
    due_times_are_spread(Kind::Sqlite).await;
    racing_instances_split_the_domains(Kind::Sqlite).await;
}

#[tokio::test]
async fn monitor_claims_on_postgres() {
    due_times_are_spread(Kind::Postgres).await;
    racing_instances_split_the_domains(Kind::Postgres).await;
}
