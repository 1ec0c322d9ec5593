//! TLS-RPT storage on SQLite and PostgreSQL: every field lands where the views read it, a re-sent
//! report is counted once, a report spanning two organisations is split between them, uploads
//! stay inside the uploader's organisation, and nobody reads another tenant's reports.

use std::path::Path;

use portcullis_domain::tlsrpt::parse_report;
use portcullis_domain::{DomainName, OrgName, Role};
use portcullis_store::testing::{Kind, TestDb};
use portcullis_store::{IngestScope, NewReport, OrgAccess, Store, StoreError};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/tlsrpt")
        .join(name);
    std::fs::read(path).unwrap()
}

static NO_PROVENANCE: portcullis_domain::tlsrpt::Provenance = portcullis_domain::tlsrpt::Provenance {
    arrival: None,
    source: None,
    dkim_domain: None,
};

fn new_report<'a>(report: &'a portcullis_domain::tlsrpt::Report, channel: &'a str) -> NewReport<'a> {
    NewReport {
        report,
        raw_gzip: b"\x1f\x8bstored-as-given",
        channel,
        submitter: Some("192.0.2.9"),
        hint_domain: None,
        received_at: 1_800_000_000,
        provenance: &NO_PROVENANCE,
        content_hash: "",
    }
}

/// An organisation with one domain, proven unless asked otherwise (reports are attributed only
/// to proven domains).
async fn org(s: &Store, name: &str, domain: &str) -> OrgAccess {
    org_with(s, name, domain, true).await
}

async fn org_with(s: &Store, name: &str, domain: &str, proven: bool) -> OrgAccess {
    let name = OrgName::parse(name).unwrap();
    s.create_org(&name, &name.slug().unwrap(), None).await.unwrap();
    let access = s.operator_access(&name.slug().unwrap()).await.unwrap().unwrap();
    let domain = DomainName::parse(domain).unwrap();
    s.add_domain(&access, &domain).await.unwrap();
    if proven {
        s.prove_domain(&domain, "operator").await.unwrap();
    }
    access
}

async fn ingestion(kind: Kind) {
    let db = TestDb::new(kind).await;
    let s = &db.store;
    let alpha = org_with(s, "Alpha", "alpha.example", false).await;
    let beta = org(s, "Beta", "beta.example").await;
    let alpha_domain = DomainName::parse("alpha.example").unwrap();
    let beta_domain = DomainName::parse("beta.example").unwrap();

    // Every field of the RFC shape is stored and read back, once the domain is proven: before
    // that the report is not attributed (nobody has shown the domain is theirs).
    let rfc = parse_report(&fixture("good/rfc-shape.json")).unwrap();
    let refused = s
        .ingest_report(IngestScope::Platform, &new_report(&rfc, "https"))
        .await
        .unwrap();
    assert!(!refused.accepted());
    assert_eq!(refused.unregistered, vec!["alpha.example".to_string()]);
    s.prove_domain(&alpha_domain, "operator").await.unwrap();
    let outcome = s
        .ingest_report(IngestScope::Platform, &new_report(&rfc, "https"))
        .await
        .unwrap();
    assert!(outcome.accepted() && outcome.is_new());
    assert_eq!(outcome.stored[0].domain, "alpha.example");
    let list = s.tlsrpt_reports(&alpha, &alpha_domain, 10, 0).await.unwrap();
    assert_eq!(list.len(), 1);
    let row = &list[0];
    assert_eq!(
        (
            row.organization_name.as_str(),
            row.report_id.as_str(),
            row.successful,
            row.failed
        ),
        ("Example Sender Inc.", "2026-11-20T00:00:00Z_alpha.example", 5326, 303)
    );
    assert_eq!(row.start_at, 1_795_132_800);
    assert_eq!(
        (row.channel.as_str(), row.submitter.as_deref()),
        ("https", Some("192.0.2.9"))
    );
    let detail = s.tlsrpt_report(&alpha, row.id).await.unwrap();
    assert_eq!(detail.policies.len(), 1);
    let policy = &detail.policies[0];
    assert_eq!(policy.policy_type, "sts");
    assert_eq!(policy.mx_hosts, ["mx1.alpha.example", "*.mx.alpha.example"]);
    assert_eq!(policy.policy_string[1], "mode: testing");
    assert_eq!(policy.failures.len(), 3);
    let f = &policy.failures[1];
    assert_eq!(f.result_type, "starttls-not-supported");
    assert_eq!(f.sending_ip.as_deref(), Some("198.51.100.62"));
    assert_eq!(f.receiving_mx.as_deref(), Some("b.mx.alpha.example"));
    assert_eq!(f.receiving_helo.as_deref(), Some("b.mx.alpha.example"));
    assert_eq!(f.receiving_ip.as_deref(), Some("203.0.113.56"));
    assert_eq!(f.failed, 200);
    assert_eq!(f.reason_code.as_deref(), Some("X.509 certificate expired"));
    assert_eq!(
        f.additional_info.as_deref(),
        Some("https://reports.sender.example/?id=1")
    );
    assert_eq!(s.tlsrpt_raw(&alpha, row.id).await.unwrap(), b"\x1f\x8bstored-as-given");

    // The same report again, even by another channel, is a duplicate and changes nothing.
    let again = s
        .ingest_report(IngestScope::Platform, &new_report(&rfc, "smtp"))
        .await
        .unwrap();
    assert!(again.accepted() && !again.is_new());
    let totals = s.tlsrpt_totals(&alpha, &alpha_domain).await.unwrap();
    assert_eq!(
        (totals.reports, totals.successful, totals.failed, totals.failure_rows),
        (1, 5326, 303, 3)
    );

    // A report over both organisations' domains: each gets its own policies only.
    let two = parse_report(&fixture("good/two-domains.json")).unwrap();
    let outcome = s
        .ingest_report(IngestScope::Platform, &new_report(&two, "https"))
        .await
        .unwrap();
    let mut domains: Vec<_> = outcome.stored.iter().map(|s| (s.domain.as_str(), s.new)).collect();
    domains.sort();
    assert_eq!(domains, [("alpha.example", true), ("beta.example", true)]);
    let beta_list = s.tlsrpt_reports(&beta, &beta_domain, 10, 0).await.unwrap();
    assert_eq!(beta_list.len(), 1);
    assert_eq!((beta_list[0].successful, beta_list[0].failed), (20, 2));
    let beta_detail = s.tlsrpt_report(&beta, beta_list[0].id).await.unwrap();
    assert_eq!(beta_detail.policies.len(), 1);
    assert_eq!(
        beta_detail.policies[0].failures[0].result_type,
        "certificate-not-trusted"
    );

    // Tenant isolation: neither reads the other's reports, by domain or by id.
    assert!(matches!(
        s.tlsrpt_report(&beta, row.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(s.tlsrpt_raw(&beta, row.id).await, Err(StoreError::NotFound)));
    assert!(s.tlsrpt_reports(&beta, &alpha_domain, 10, 0).await.unwrap().is_empty());
    assert!(matches!(
        s.tlsrpt_totals(&beta, &alpha_domain).await,
        Err(StoreError::NotFound)
    ));

    // An upload by Beta cannot place reports on Alpha's domain.
    let no_tz = parse_report(&fixture("good/no-timezone.json")).unwrap();
    let outcome = s
        .ingest_report(IngestScope::Org(&beta), &new_report(&no_tz, "upload"))
        .await
        .unwrap();
    assert!(!outcome.accepted());
    assert_eq!(outcome.unregistered, ["alpha.example"]);
    assert_eq!(s.tlsrpt_totals(&alpha, &alpha_domain).await.unwrap().reports, 2);
    // A viewer may not upload at all.
    let (secret, _) = s.create_token(&alpha, "ro", Role::Viewer).await.unwrap();
    let viewer = s.access_for_token(&secret).await.unwrap().unwrap();
    assert!(matches!(
        s.ingest_report(IngestScope::Org(&viewer), &new_report(&no_tz, "upload"))
            .await,
        Err(StoreError::Forbidden)
    ));

    // Unknown result types and extra fields survive; a report with empty policies is kept
    // when a hint names the domain.
    let future = parse_report(&fixture("good/unknown-types-and-extras.json")).unwrap();
    let empty = parse_report(&fixture("good/no-contact-empty-policies.json")).unwrap();
    let mut hinted = new_report(&empty, "smtp");
    hinted.hint_domain = Some("Alpha.Example");
    let outcomes = s
        .ingest_reports(IngestScope::Platform, &[new_report(&future, "import"), hinted])
        .await
        .unwrap();
    assert!(outcomes.iter().all(|o| o.is_new()), "{outcomes:?}");
    // The unnamed experimental policy follows the report's only named domain.
    assert_eq!(outcomes[0].unplaced_policies, 0);
    let list = s.tlsrpt_reports(&alpha, &alpha_domain, 10, 0).await.unwrap();
    let future_row = list.iter().find(|r| r.report_id == "future-42").unwrap();
    let detail = s.tlsrpt_report(&alpha, future_row.id).await.unwrap();
    assert_eq!(detail.policies.len(), 2);
    assert_eq!(detail.policies[0].failures[0].result_type, "quantum-handshake-failure");
    assert_eq!(detail.policies[1].policy_type, "experimental-policy");
    assert!(list.iter().any(|r| r.report_id == "quiet-1" && r.successful == 0));

    // Paging and deletion: deleting the domain removes its reports.
    assert_eq!(s.tlsrpt_reports(&alpha, &alpha_domain, 2, 2).await.unwrap().len(), 2);
    s.delete_domain(&alpha, &alpha_domain).await.unwrap();
    s.add_domain(&alpha, &alpha_domain).await.unwrap();
    let totals = s.tlsrpt_totals(&alpha, &alpha_domain).await.unwrap();
    assert_eq!((totals.reports, totals.failure_rows), (0, 0));
    db.cleanup().await;
}

#[tokio::test]
async fn ingestion_sqlite() {
    ingestion(Kind::Sqlite).await;
}

#[tokio::test]
async fn ingestion_postgres() {
    ingestion(Kind::Postgres).await;
}
