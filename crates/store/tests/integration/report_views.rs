//! Report aggregates on SQLite and PostgreSQL against numbers worked out by hand from the
//! fixtures (see the comments), including the period boundaries and tenant isolation.

use std::path::Path;

use chrono::{TimeZone, Utc};
use portcullis_domain::tlsrpt::{parse_report, Report};
use portcullis_domain::{DomainName, OrgName};
use portcullis_store::testing::{Kind, TestDb};
use portcullis_store::{IngestScope, NewReport, Store, StoreError, SummaryGroup, NOT_REPORTED};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/tlsrpt")
            .join(name),
    )
    .unwrap()
}

static NO_PROVENANCE: portcullis_domain::tlsrpt::Provenance = portcullis_domain::tlsrpt::Provenance {
    arrival: None,
    source: None,
    dkim_domain: None,
};

/// Reports as the import stores them.
fn imported<'a>(reports: impl IntoIterator<Item = &'a Report>) -> Vec<NewReport<'a>> {
    reports
        .into_iter()
        .map(|report| NewReport {
            report,
            raw_gzip: b"",
            channel: "import",
            submitter: None,
            hint_domain: None,
            received_at: 0,
            provenance: &NO_PROVENANCE,
            content_hash: "",
        })
        .collect()
}

const DAY: i64 = 86_400;

fn day(d: u32) -> i64 {
    Utc.with_ymd_and_hms(2026, 11, d, 0, 0, 0).unwrap().timestamp()
}

fn groups(summary: &portcullis_store::ReportSummary) -> Vec<(&str, Option<i64>, i64)> {
    summary
        .groups
        .iter()
        .map(|g| (g.key.as_str(), g.successful, g.failed))
        .collect()
}

async fn aggregates(kind: Kind) {
    let db = TestDb::new(kind).await;
    aggregates_on(&db.store).await;
    db.cleanup().await;
}

/// The views read through their own pool (the backend's native driver) what the main pool
/// wrote; an in-memory SQLite database, which only the main pool's connection holds, is read
/// there instead.
async fn aggregates_on(s: &Store) {
    let name = OrgName::parse("Alpha").unwrap();
    s.create_org(&name, &name.slug().unwrap(), None).await.unwrap();
    let alpha = s.operator_access(&name.slug().unwrap()).await.unwrap().unwrap();
    let other = OrgName::parse("Beta").unwrap();
    s.create_org(&other, &other.slug().unwrap(), None).await.unwrap();
    let beta = s.operator_access(&other.slug().unwrap()).await.unwrap().unwrap();
    let domain = DomainName::parse("alpha.example").unwrap();
    s.add_domain(&alpha, &domain).await.unwrap();
    s.prove_domain(&domain, "operator").await.unwrap();
    let beta_domain = DomainName::parse("beta.example").unwrap();
    s.add_domain(&beta, &beta_domain).await.unwrap();
    s.prove_domain(&beta_domain, "operator").await.unwrap();

    // Periods (UTC): rfc-shape 20 Nov, no-timezone 21, mx-host-string 22, contact-null 23,
    // unknown-types 24 (23:00 UTC: 25 Nov at +01:00), two-domains 26.
    let files = [
        "good/rfc-shape.json",
        "good/no-timezone.json",
        "good/mx-host-string.json",
        "good/contact-null-no-ips.json",
        "good/unknown-types-and-extras.json",
        "good/two-domains.json",
    ];
    let reports: Vec<_> = files.iter().map(|f| parse_report(&fixture(f)).unwrap()).collect();
    s.ingest_reports(IngestScope::Platform, &imported(reports.iter()))
        .await
        .unwrap();

    let week = |g| s.tlsrpt_summary(&alpha, &domain, day(20), day(27), g);
    // Successful: 5326 + 40 + 7 + 0 + (9 + 1) + 10; failed: 303 + 0 + 1 + 2 + 4 + 1.
    let totals = week(None).await.unwrap();
    assert_eq!((totals.successful, totals.failed, totals.groups.len()), (5393, 311, 0));
    assert_eq!((totals.reports, totals.organizations), (6, 5));

    let by_type = week(Some(SummaryGroup::ResultType)).await.unwrap();
    assert_eq!(
        groups(&by_type),
        [
            ("starttls-not-supported", None, 200),
            ("certificate-expired", None, 100),
            ("quantum-handshake-failure", None, 4),
            ("sts-policy-fetch-error", None, 3), // 1 (mx-host-string) + 2 (contact-null)
            ("validation-failure", None, 3),
            ("certificate-host-mismatch", None, 1),
        ]
    );
    assert_eq!((by_type.successful, by_type.failed), (5393, 311));

    let by_org = week(Some(SummaryGroup::Organization)).await.unwrap();
    assert_eq!(
        groups(&by_org),
        [
            ("Example Sender Inc.", Some(5336), 304), // rfc-shape + two-domains' alpha policy
            ("Future Sender", Some(10), 4),
            ("Terse Sender", Some(0), 2),
            ("Legacy Sender", Some(7), 1),
            ("Big Mail Corporation", Some(40), 0),
        ]
    );

    let by_ip = week(Some(SummaryGroup::SendingIp)).await.unwrap();
    assert_eq!(
        groups(&by_ip),
        [
            ("198.51.100.62", None, 200),
            ("2001:db8:abcd:12::1", None, 100),
            ("192.0.2.7", None, 4),
            (NOT_REPORTED, None, 3),
            ("198.51.100.8", None, 3),
            ("192.0.2.1", None, 1),
        ]
    );

    // SQLite sums each sending IP's period range on its own: both ends of a long period still
    // cut (rfc-shape is the only report before 21 November), and a year holds the same as the
    // week.
    let long = |from: i64, to: i64| s.tlsrpt_summary(&alpha, &domain, from, to, Some(SummaryGroup::SendingIp));
    assert_eq!(long(day(27) - 365 * DAY, day(27)).await.unwrap().groups, by_ip.groups);
    assert_eq!(
        groups(&long(day(21) - 365 * DAY, day(21)).await.unwrap()),
        [
            ("198.51.100.62", None, 200),
            ("2001:db8:abcd:12::1", None, 100),
            ("198.51.100.8", None, 3),
        ]
    );
    assert_eq!(
        groups(&long(day(21), day(21) + 365 * DAY).await.unwrap()),
        [("192.0.2.7", None, 4), (NOT_REPORTED, None, 3), ("192.0.2.1", None, 1)]
    );

    let by_mx = week(Some(SummaryGroup::ReceivingMx)).await.unwrap();
    assert_eq!(
        groups(&by_mx),
        [
            ("b.mx.alpha.example", None, 200),
            ("mx1.alpha.example", None, 105), // 100 + 4 + 1
            (NOT_REPORTED, None, 6),          // 3 (validation-failure) + 1 + 2
        ]
    );

    let by_day = week(Some(SummaryGroup::Day)).await.unwrap();
    assert_eq!(
        groups(&by_day),
        [
            ("2026-11-20", Some(5326), 303),
            ("2026-11-21", Some(40), 0),
            ("2026-11-22", Some(7), 1),
            ("2026-11-23", Some(0), 2),
            ("2026-11-24", Some(10), 4),
            ("2026-11-25", Some(0), 0),
            ("2026-11-26", Some(10), 1),
        ]
    );
    // Every chart's numbers add up to the totals.
    assert_eq!(by_day.groups.iter().map(|g| g.failed).sum::<i64>(), by_day.failed);
    assert_eq!(
        by_org.groups.iter().map(|g| g.successful.unwrap()).sum::<i64>(),
        by_org.successful
    );

    // Per day and result type, for the stacked chart.
    let daily = s.tlsrpt_daily_results(&alpha, &domain, day(20), day(27)).await.unwrap();
    let daily: Vec<(&str, &str, i64)> = daily
        .iter()
        .map(|d| (d.day.as_str(), d.result_type.as_str(), d.failed))
        .collect();
    assert_eq!(
        daily,
        [
            ("2026-11-20", "certificate-expired", 100),
            ("2026-11-20", "starttls-not-supported", 200),
            ("2026-11-20", "validation-failure", 3),
            ("2026-11-22", "sts-policy-fetch-error", 1),
            ("2026-11-23", "sts-policy-fetch-error", 2),
            ("2026-11-24", "quantum-handshake-failure", 4),
            ("2026-11-26", "certificate-host-mismatch", 1),
        ]
    );

    // The period is [from, to): 21 and 22 November only.
    let two_days = s
        .tlsrpt_summary(&alpha, &domain, day(21), day(23), Some(SummaryGroup::ResultType))
        .await
        .unwrap();
    assert_eq!((two_days.successful, two_days.failed), (47, 1));
    assert_eq!(groups(&two_days), [("sts-policy-fetch-error", None, 1)]);
    let empty = s
        .tlsrpt_summary(&alpha, &domain, day(1), day(3), Some(SummaryGroup::Day))
        .await
        .unwrap();
    assert_eq!((empty.successful, empty.failed), (0, 0));
    assert_eq!(groups(&empty), [("2026-11-01", Some(0), 0), ("2026-11-02", Some(0), 0)]);

    // The overview reads the same numbers in one call, with the period before for comparison.
    let overview = s
        .tlsrpt_overview(&alpha, &domain, day(13), day(20), day(27))
        .await
        .unwrap();
    assert_eq!((overview.current.successful, overview.current.failed), (5393, 311));
    assert_eq!((overview.previous.successful, overview.previous.reports), (0, 0));
    assert_eq!(overview.by_result, by_type.groups);
    assert_eq!(overview.by_organization, by_org.groups);
    assert_eq!(overview.by_sending_ip, by_ip.groups);
    assert_eq!(overview.by_receiving_mx, by_mx.groups);
    assert_eq!(overview.by_day, by_day.groups);
    assert_eq!(overview.daily_results.len(), 7);

    // A late report (21 November, arriving after the 26th) and a re-sent one: the aggregates
    // take the late one in exactly once and ignore the duplicate.
    let late = parse_report(
        br#"{"organization-name": "Late Sender", "report-id": "late-1",
            "date-range": {"start-datetime": "2026-11-21T00:00:00Z", "end-datetime": "2026-11-21T23:59:59Z"},
            "policies": [{"policy": {"policy-type": "sts", "policy-domain": "alpha.example"},
                "summary": {"total-successful-session-count": 50, "total-failure-session-count": 6},
                "failure-details": [{"result-type": "certificate-expired", "sending-mta-ip": "198.51.100.62",
                    "receiving-mx-hostname": "mx1.alpha.example", "failed-session-count": 6}]}]}"#,
    )
    .unwrap();
    let resent = parse_report(&fixture("good/rfc-shape.json")).unwrap();
    s.ingest_reports(IngestScope::Platform, &imported([&late, &resent, &late]))
        .await
        .unwrap();
    let after = s
        .tlsrpt_overview(&alpha, &domain, day(13), day(20), day(27))
        .await
        .unwrap();
    assert_eq!((after.current.successful, after.current.failed), (5443, 317));
    assert_eq!((after.current.reports, after.current.organizations), (7, 6));
    assert_eq!(
        (after.by_result[1].key.as_str(), after.by_result[1].failed),
        ("certificate-expired", 106)
    );
    assert_eq!(
        after.by_day[1..2],
        [portcullis_store::SummaryRow {
            key: "2026-11-21".into(),
            successful: Some(90),
            failed: 6,
            reverse_dns: None
        }]
    );
    assert_eq!(after.by_sending_ip[0].failed, 206);
    assert_eq!(after.by_receiving_mx[1].failed, 111);

    // Another organisation sees nothing of it.
    assert!(matches!(
        s.tlsrpt_summary(&beta, &domain, day(20), day(27), None).await,
        Err(StoreError::NotFound)
    ));
    let beta_own = s
        .tlsrpt_summary(
            &beta,
            &DomainName::parse("beta.example").unwrap(),
            day(20),
            day(27),
            Some(SummaryGroup::ResultType),
        )
        .await
        .unwrap();
    assert_eq!((beta_own.successful, beta_own.failed), (20, 2));
    assert_eq!(groups(&beta_own), [("certificate-not-trusted", None, 2)]);

    // Daily results: a period without failures gives none, and a result
    // type no RFC names, with quotes, a backslash and non-ASCII text, comes back as sent.
    assert_eq!(
        s.tlsrpt_daily_results(&alpha, &domain, day(1), day(3)).await.unwrap(),
        []
    );
    let odd = parse_report(
        r#"{"organization-name": "Odd Sender", "report-id": "odd-1",
            "date-range": {"start-datetime": "2026-11-25T00:00:00Z", "end-datetime": "2026-11-25T23:59:59Z"},
            "policies": [{"policy": {"policy-type": "sts", "policy-domain": "alpha.example"},
                "summary": {"total-successful-session-count": 0, "total-failure-session-count": 9},
                "failure-details": [{"result-type": "odd \"type\" \\ ünï 🔒", "failed-session-count": 9}]}]}"#
            .as_bytes(),
    )
    .unwrap();
    s.ingest_reports(IngestScope::Platform, &imported([&odd]))
        .await
        .unwrap();
    let daily = s.tlsrpt_daily_results(&alpha, &domain, day(25), day(26)).await.unwrap();
    let daily: Vec<(&str, &str, i64)> = daily
        .iter()
        .map(|d| (d.day.as_str(), d.result_type.as_str(), d.failed))
        .collect();
    assert_eq!(daily, [("2026-11-25", "odd \"type\" \\ ünï 🔒", 9)]);
}

#[tokio::test]
async fn aggregates_sqlite() {
    aggregates(Kind::Sqlite).await;
}

#[tokio::test]
async fn aggregates_postgres() {
    aggregates(Kind::Postgres).await;
}

#[tokio::test]
async fn aggregates_sqlite_in_memory() {
    let s = Store::connect("sqlite::memory:").await.unwrap();
    s.migrate().await.unwrap();
    aggregates_on(&s).await;
    s.close().await;
}

/// A small deterministic generator for the rollup test.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// What the daily rollup must equal: the failure details of every distinct report, summed here
/// in Rust from the generated reports, whatever order, batches, duplicates and late arrivals
/// they were stored in. Also what the migration's backfill gives from the stored details, and
/// that a deleted domain takes its rollup rows with it.
async fn rollup_matches_details(kind: Kind) {
    let db = TestDb::new(kind).await;
    let s = &db.store;
    let name = OrgName::parse("Alpha").unwrap();
    s.create_org(&name, &name.slug().unwrap(), None).await.unwrap();
    let alpha = s.operator_access(&name.slug().unwrap()).await.unwrap().unwrap();
    let domains = ["one.example", "two.example"];
    for d in domains {
        let d = DomainName::parse(d).unwrap();
        s.add_domain(&alpha, &d).await.unwrap();
        s.prove_domain(&d, "operator").await.unwrap();
    }
    let results = ["certificate-expired", "starttls-not-supported", "validation-failure"];
    let mut rng = Rng(0x0dd_ba11);
    // 60 distinct reports over ten days (day 10 to 19), one or two policies each.
    let mut texts = Vec::new();
    let mut expected = Expected::new();
    for seq in 0..60 {
        let start = 10 + rng.below(10) as u32;
        let mut policies = Vec::new();
        for (ix, d) in domains.iter().enumerate() {
            if seq % 3 == ix {
                continue; // every third report leaves one domain out
            }
            let mut details = Vec::new();
            for _ in 0..=rng.below(4) {
                let result = results[rng.below(3) as usize];
                let mx = match rng.below(3) {
                    0 => None,
                    n => Some(format!("mx{n}.{d}")),
                };
                let failed = rng.below(50) as i64 + 1;
                *expected
                    .entry((ix, start, result.to_string(), mx.clone().unwrap_or_default()))
                    .or_default() += failed;
                let mut detail = serde_json::json!({"result-type": result, "failed-session-count": failed});
                if let Some(mx) = mx {
                    detail["receiving-mx-hostname"] = mx.into();
                }
                details.push(detail);
            }
            policies.push(serde_json::json!({
                "policy": {"policy-type": "sts", "policy-domain": d},
                "summary": {"total-successful-session-count": 10, "total-failure-session-count": 1},
                "failure-details": details,
            }));
        }
        texts.push(
            serde_json::json!({
                "organization-name": format!("Sender {}", seq % 4),
                "report-id": format!("r-{seq}"),
                "date-range": {
                    "start-datetime": format!("2026-11-{start:02}T00:00:00Z"),
                    "end-datetime": format!("2026-11-{start:02}T23:59:59Z"),
                },
                "policies": policies,
            })
            .to_string(),
        );
    }
    let reports: Vec<Report> = texts.iter().map(|t| parse_report(t.as_bytes()).unwrap()).collect();
    // Newest days first (the rest arrive late), in batches of seven; each batch re-sends a
    // report of the batch before and one of its own.
    let mut order: Vec<usize> = (0..reports.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(reports[*i].date_range.start_datetime));
    let mut previous: Option<usize> = None;
    for batch in order.chunks(7) {
        let mut these: Vec<&Report> = batch.iter().map(|i| &reports[*i]).collect();
        these.push(&reports[batch[0]]);
        if let Some(p) = previous {
            these.push(&reports[p]);
        }
        previous = Some(batch[batch.len() - 1]);
        s.ingest_reports(IngestScope::Platform, &imported(these)).await.unwrap();
    }

    assert!(!expected.is_empty());
    check(s, &alpha, &domains, &expected, "after ingest").await;

    // The migration's backfill, run on the stored details, gives the same rows.
    let backend = match kind {
        Kind::Sqlite => "sqlite",
        Kind::Postgres => "postgres",
    };
    let migration = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../migrations")
            .join(backend)
            .join("20261129140000_failure_day_rollup.sql"),
    )
    .unwrap();
    let backfill = migration
        .split(';')
        .find(|statement| statement.contains("INSERT INTO tlsrpt_failure_days"))
        .expect("the migration fills the rollup");
    db.execute("DELETE FROM tlsrpt_failure_days").await;
    assert_eq!(rollup_rows(&db).await, 0);
    db.execute(backfill).await;
    check(s, &alpha, &domains, &expected, "after the backfill").await;

    // A deleted domain's rows go with it; the other domain's stay.
    s.delete_domain(&alpha, &DomainName::parse("two.example").unwrap())
        .await
        .unwrap();
    let one = expected.keys().filter(|(ix, ..)| *ix == 0).count() as i64;
    assert_eq!(rollup_rows(&db).await, one);
    db.cleanup().await;
}

type Expected = std::collections::BTreeMap<(usize, u32, String, String), i64>;

/// The rollup-backed aggregates of each domain over several periods, against `expected`.
async fn check(
    s: &portcullis_store::Store,
    alpha: &portcullis_store::OrgAccess,
    domains: &[&str],
    expected: &Expected,
    label: &str,
) {
    use std::collections::BTreeMap;
    for (ix, d) in domains.iter().enumerate() {
        let domain = DomainName::parse(d).unwrap();
        for (from, to) in [(10, 20), (12, 15), (19, 20), (1, 10)] {
            let in_period = |day: u32| day >= from && day < to;
            let mut by_result: BTreeMap<String, i64> = BTreeMap::new();
            let mut by_mx: BTreeMap<String, i64> = BTreeMap::new();
            let mut daily: BTreeMap<(String, String), i64> = BTreeMap::new();
            for ((e_ix, day, result, mx), failed) in expected {
                if *e_ix != ix || !in_period(*day) {
                    continue;
                }
                *by_result.entry(result.clone()).or_default() += failed;
                let mx = if mx.is_empty() {
                    NOT_REPORTED.to_string()
                } else {
                    mx.clone()
                };
                *by_mx.entry(mx).or_default() += failed;
                *daily.entry((format!("2026-11-{day:02}"), result.clone())).or_default() += failed;
            }
            let as_map = |summary: portcullis_store::ReportSummary| -> BTreeMap<String, i64> {
                summary.groups.into_iter().map(|g| (g.key, g.failed)).collect()
            };
            let what = format!("{label}: {d} {from}..{to}");
            let got = |g| s.tlsrpt_summary(alpha, &domain, day(from), day(to), Some(g));
            assert_eq!(
                as_map(got(SummaryGroup::ResultType).await.unwrap()),
                by_result,
                "{what}"
            );
            assert_eq!(as_map(got(SummaryGroup::ReceivingMx).await.unwrap()), by_mx, "{what}");
            let got_daily: BTreeMap<(String, String), i64> = s
                .tlsrpt_daily_results(alpha, &domain, day(from), day(to))
                .await
                .unwrap()
                .into_iter()
                .map(|r| ((r.day, r.result_type), r.failed))
                .collect();
            assert_eq!(got_daily, daily, "{what}");
        }
    }
}

async fn rollup_rows(db: &TestDb) -> i64 {
    db.scalar("SELECT COUNT(*) FROM tlsrpt_failure_days").await
}

#[tokio::test]
async fn rollup_matches_details_sqlite() {
    rollup_matches_details(Kind::Sqlite).await;
}

#[tokio::test]
async fn rollup_matches_details_postgres() {
    rollup_matches_details(Kind::Postgres).await;
}
