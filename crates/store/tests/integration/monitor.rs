//! The DNS monitor's claims on SQLite and PostgreSQL: domains fall due spread over the last
//! tenth of the interval, and instances racing for due domains never claim one twice.

use portcullis_domain::{DomainName, OrgName};
use portcullis_store::testing::{Kind, TestDb};
use portcullis_store::{CheckNotes, DnsCheckRow, MonitorSchedule, Store};
use std::collections::HashMap;

const INTERVAL: MonitorSchedule = MonitorSchedule {
    now: 0,
    interval: 1_000,
    spread: 100,
};

fn at(now: i64) -> MonitorSchedule {
    MonitorSchedule { now, ..INTERVAL }
}

/// The 40 domains checked by the monitor at `checked_at`, under `schedule`.
async fn check_all(s: &Store, checked_at: i64, schedule: &MonitorSchedule) {
    for i in 0..40 {
        let run = DnsCheckRow {
            checked_at,
            status: "ok".into(),
            findings: "[]".into(),
            origin: "monitor".into(),
        };
        s.monitor_record(&format!("d{i}.example"), &run, &CheckNotes::default(), schedule)
            .await
            .unwrap();
    }
}

/// 40 domains, all last checked at 0 under [`INTERVAL`].
async fn checked_domains(s: &Store) {
    let name = OrgName::parse("Acme").unwrap();
    s.create_org(&name, &name.slug().unwrap(), None).await.unwrap();
    let access = s.operator_access(&name.slug().unwrap()).await.unwrap().unwrap();
    for i in 0..40 {
        let domain = DomainName::parse(&format!("d{i}.example")).unwrap();
        s.add_domain(&access, &domain).await.unwrap();
    }
    assert_eq!(
        s.claim_monitor(&at(0), "a", 100).await.unwrap().len(),
        40,
        "never-checked domains are due at once"
    );
    check_all(s, 0, &INTERVAL).await;
}

async fn due_times_are_spread(kind: Kind) {
    let db = TestDb::new(kind).await;
    let s = &db.store;
    checked_domains(s).await;
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

    // Checked again at 2,000 under a day's interval, then the interval is shortened to 100 s:
    // the next pass brings the due times forward instead of waiting out the day.
    let day = MonitorSchedule {
        interval: 86_400,
        spread: 8_640,
        ..INTERVAL
    };
    check_all(s, 2_000, &day).await;
    let short = MonitorSchedule {
        now: 2_100,
        interval: 100,
        spread: 10,
    };
    assert!(s.claim_monitor(&short, "a", 100).await.unwrap().is_empty());
    s.monitor_reschedule(&short).await.unwrap();
    assert_eq!(s.claim_monitor(&short, "a", 100).await.unwrap().len(), 40);
    db.cleanup().await;
}

/// Eight instances claim batches of five at once, round after round until nothing is left:
/// every domain is claimed exactly once.
async fn racing_instances_split_the_domains(kind: Kind) {
    let db = TestDb::new(kind).await;
    checked_domains(&db.store).await;
    let schedule = at(5_000);
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
