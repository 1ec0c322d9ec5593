//! `make bench-views`: the report views over a year of synthetic reports (100 domains,
//! 1,000,000 failure-detail rows), on SQLite and PostgreSQL. For each database it times the
//! domain overview page (every table and chart), rendered by the real router, for the busiest
//! and the median domain over 7, 30, 90 and 365 days, the cross-domain overview and its patterns, and the
//! sender policy tracker (every domain's policy gains a backup MX halfway through the year).
//!
//! Target: every page under 100 ms, on both databases. Exits 1 when one is missed.
//! Usage: `bench_views [sqlite|postgres|both] [FAILURE_ROWS]` (defaults: both, 1,000,000).

#[path = "../tests/integration/common.rs"]
mod common;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::TestApp;
use portcullis_domain::{Mode, PolicySpec};
use portcullis_service::{Channel, ReportInput};
use portcullis_store::testing::Kind;
use serde_json::json;

const DOMAINS: usize = 100;
const DAYS: i64 = 365;
const RUNS: usize = 15;
/// The last day of data: yesterday (UTC), the year before it covered, so that views whose
/// period ends today (the cross-domain overview, the patterns) see a full period of data.
fn last_day() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive() - chrono::Days::new(1)
}
/// What a user may wait for a report page.
const TARGET: Duration = Duration::from_millis(100);
const ORGS: [&str; 8] = [
    "Google Inc.",
    "Microsoft Corporation",
    "Yahoo",
    "Mail.Ru",
    "Comcast",
    "GMX",
    "Zoho",
    "Fastmail",
];
const RESULTS: [(&str, u32); 9] = [
    ("certificate-expired", 20),
    ("starttls-not-supported", 25),
    ("certificate-host-mismatch", 15),
    ("validation-failure", 12),
    ("certificate-not-trusted", 10),
    ("sts-policy-fetch-error", 8),
    ("sts-webpki-invalid", 4),
    ("tlsa-invalid", 3),
    ("dnssec-invalid", 3),
];

/// A small deterministic generator: the same data every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn domain(i: usize) -> String {
    format!("d{i:03}.bench.example")
}

/// Domains get reports in proportion to 1/(rank+1)^0.8: a few busy domains, a long tail.
fn pick_domain(rng: &mut Rng, cumulative: &[f64]) -> usize {
    let x = (rng.below(1_000_000) as f64) / 1_000_000.0 * cumulative[cumulative.len() - 1];
    cumulative.iter().position(|c| x < *c).unwrap_or(DOMAINS - 1)
}

fn report(rng: &mut Rng, seq: usize, domain_ix: usize, first_day: i64, details: usize) -> Vec<u8> {
    let d = domain(domain_ix);
    let day = first_day + rng.below(DAYS as u64) as i64;
    let org = ORGS[rng.below(ORGS.len() as u64) as usize];
    // Senders apply the second version (a backup MX added) from the middle of the year on.
    let mut policy_string = vec![
        "version: STSv1".to_string(),
        "mode: testing".into(),
        format!("mx: *.{d}"),
    ];
    if day >= first_day + DAYS / 2 {
        policy_string.push(format!("mx: backup.{d}"));
    }
    policy_string.push("max_age: 604800".into());
    let start = chrono::DateTime::from_timestamp(day * 86_400, 0).unwrap();
    let end = start + chrono::Duration::seconds(86_399);
    let total_weight: u32 = RESULTS.iter().map(|(_, w)| w).sum();
    let failures: Vec<serde_json::Value> = (0..details)
        .map(|_| {
            let mut w = rng.below(total_weight as u64) as u32;
            let result = RESULTS
                .iter()
                .find(|(_, weight)| {
                    if w < *weight {
                        true
                    } else {
                        w -= weight;
                        false
                    }
                })
                .map(|(r, _)| *r)
                .unwrap_or("validation-failure");
            json!({
                "result-type": result,
                "sending-mta-ip": format!("198.51.{}.{}", rng.below(4), rng.below(250) + 1),
                "receiving-mx-hostname": format!("mx{}.{d}", rng.below(3) + 1),
                "receiving-ip": format!("203.0.113.{}", rng.below(3) + 10),
                "failed-session-count": rng.below(20) + 1,
            })
        })
        .collect();
    let failed: u64 = failures
        .iter()
        .map(|f| f["failed-session-count"].as_u64().unwrap())
        .sum();
    serde_json::to_vec(&json!({
        "organization-name": org,
        "date-range": {"start-datetime": start.to_rfc3339(), "end-datetime": end.to_rfc3339()},
        "contact-info": "tlsrpt@sender.example",
        "report-id": format!("bench-{seq}"),
        "policies": [{
            "policy": {
                "policy-type": "sts",
                "policy-string": policy_string,
                "policy-domain": d,
                "mx-host": [format!("*.{d}")],
            },
            "summary": {
                "total-successful-session-count": 1000 + rng.below(100_000),
                "total-failure-session-count": failed,
            },
            "failure-details": failures,
        }],
    }))
    .unwrap()
}

/// Loads `rows` failure details; returns the owner and the busiest and the median domain.
async fn load(app: &TestApp, rows: usize) -> (portcullis_store::User, String, String) {
    let owner = app.user("owner@bench.example", true).await;
    let org = app.org("Bench", &owner).await;
    for i in 0..DOMAINS {
        app.proven_domain(&org, &domain(i)).await;
        let name = domain(i);
        for mx in [
            vec![format!("*.{name}")],
            vec![format!("*.{name}"), format!("backup.{name}")],
        ] {
            let spec = PolicySpec {
                mode: Mode::Testing,
                max_age: 604_800,
                mx,
            };
            app.services
                .save_policy(&org, &domain(i), &spec, "bench")
                .await
                .unwrap();
        }
    }
    let mut cumulative = Vec::with_capacity(DOMAINS);
    let mut sum = 0.0;
    for i in 0..DOMAINS {
        sum += 1.0 / ((i + 1) as f64).powf(0.8);
        cumulative.push(sum);
    }
    let first_day = last_day().and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp() / 86_400 - (DAYS - 1);
    let mut rng = Rng(0x5eed_1234_abcd_9876);
    let (mut loaded, mut seq) = (0usize, 0usize);
    let mut per_domain = vec![0usize; DOMAINS];
    let started = Instant::now();
    while loaded < rows {
        let mut batch = Vec::with_capacity(500);
        while batch.len() < 500 && loaded < rows {
            let details = ((rng.below(50) + 1) as usize).min(rows - loaded);
            let ix = pick_domain(&mut rng, &cumulative);
            batch.push(ReportInput::new(
                report(&mut rng, seq, ix, first_day, details),
                Channel::Import,
            ));
            per_domain[ix] += details;
            loaded += details;
            seq += 1;
        }
        for outcome in app.services.ingest_batch(None, batch).await {
            outcome.expect("generated reports are stored");
        }
    }
    let mut ranked: Vec<usize> = (0..DOMAINS).collect();
    ranked.sort_by_key(|i| std::cmp::Reverse(per_domain[*i]));
    let (busiest, middle) = (ranked[0], ranked[DOMAINS / 2]);
    println!(
        "  loaded {seq} reports, {loaded} failure rows in {:.1} s; busiest domain {} has {} rows, the median {} {}, the quietest {}",
        started.elapsed().as_secs_f64(),
        domain(busiest),
        per_domain[busiest],
        domain(middle),
        per_domain[middle],
        per_domain[ranked[DOMAINS - 1]]
    );
    (owner, domain(busiest), domain(middle))
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The median of [`RUNS`] renders of `url` after a warm-up, each answered 200 with the element
/// `marker` (a `data-testid`) on the page; printed under `label`. True when under [`TARGET`].
async fn timed(app: &TestApp, browser: &common::Browser, url: &str, marker: &str, label: &str) -> bool {
    let mut samples = Vec::new();
    for i in 0..=RUNS {
        let started = Instant::now();
        let res = app.send(browser.get(url)).await;
        let status = res.status();
        let body = common::body_text(res).await;
        let took = started.elapsed();
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(
            body.contains(&format!("data-testid=\"{marker}\"")),
            "{url} has its {marker}"
        );
        if i > 0 {
            samples.push(took);
        }
    }
    let m = median(samples);
    let pass = m < TARGET;
    println!(
        "    {label}: {:7.2} ms  (target < 100 ms: {})",
        ms(m),
        if pass { "met" } else { "MISSED" }
    );
    pass
}

async fn bench(kind: Kind, rows: usize) -> bool {
    let label = match kind {
        Kind::Sqlite => "SQLite",
        Kind::Postgres => "PostgreSQL",
    };
    println!("\n== {label} ==");
    let app = TestApp::new(kind).await;
    let (owner, busiest, middle) = load(&app, rows).await;
    // What the database's own housekeeping would do after a bulk load: fresh planner statistics
    // (and PostgreSQL's visibility map, for index-only scans).
    let analyze = match kind {
        Kind::Sqlite => "ANALYZE",
        Kind::Postgres => "VACUUM ANALYZE",
    };
    let started = Instant::now();
    app.db.execute(analyze).await;
    println!("  {analyze}: {:.1} s", started.elapsed().as_secs_f64());
    let browser = app.browser(&owner).await;
    let mut ok = true;

    println!("  page render (router, all tables and charts), median of {RUNS}:");
    let last = last_day();
    for name in [&busiest, &middle] {
        for days in [7u64, 30, 90, 365] {
            let from = last - chrono::Days::new(days - 1);
            let url = format!("/domains/{name}/reports?from={from}&to={last}");
            ok &= timed(&app, &browser, &url, "daily-chart", &format!("{name}, {days:>3} days")).await;
        }
    }
    for name in [&busiest, &middle] {
        for days in [90u64, 365] {
            let from = last - chrono::Days::new(days - 1);
            let url = format!("/domains/{name}/senders?from={from}&to={last}");
            let label = format!("sender policies, {name}, {days:>3} days");
            ok &= timed(&app, &browser, &url, "senders", &label).await;
        }
    }
    for days in [7, 30] {
        let url = format!("/reports/patterns?days={days}");
        let label = format!("patterns across domains (/reports/patterns, {DOMAINS} domains, {days:>2} days)");
        ok &= timed(&app, &browser, &url, "patterns", &label).await;
    }
    let label = format!("cross-domain overview (/reports, {DOMAINS} domains, 30 days)");
    ok &= timed(&app, &browser, "/reports?days=30", "trends", &label).await;

    app.cleanup().await;
    ok
}

#[tokio::main]
async fn main() {
    let which = std::env::args().nth(1).unwrap_or_else(|| "both".into());
    let rows: usize = std::env::args()
        .nth(2)
        .map(|n| n.parse().expect("FAILURE_ROWS is a number"))
        .unwrap_or(1_000_000);
    println!(
        "bench-views: {DOMAINS} domains, {rows} failure-detail rows over {DAYS} days ending {}",
        last_day()
    );
    let mut ok = true;
    if which == "sqlite" || which == "both" {
        ok &= bench(Kind::Sqlite, rows).await;
    }
    if which == "postgres" || which == "both" {
        ok &= bench(Kind::Postgres, rows).await;
    }
    println!(
        "\nRESULT {}",
        if ok { "all targets met" } else { "some targets missed" }
    );
    if !ok {
        std::process::exit(1);
    }
}
