//! Data for `make bench-policy`: N domains (default 10,000) in one organisation, each with a
//! policy and its own certificate for `mta-sts.<domain>` (signed by a throw-away bench CA),
//! plus a `localhost` certificate for the load generator's SNI. Usage:
//! `bench_setup DATABASE_URL OUT_DIR [N]`; writes OUT_DIR/policy.txt (a sample served body) and
//! OUT_DIR/localhost.{crt,key} for nginx, and OUT_DIR/ca.crt for clients that verify.

use portcullis_domain::{DomainName, Mode, MxPattern, OrgName, Policy};
use portcullis_store::Store;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (url, out) = (
        args.get(1).expect("DATABASE_URL"),
        std::path::PathBuf::from(args.get(2).expect("OUT_DIR")),
    );
    let n: usize = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(10_000);
    let store = Store::connect(url).await?;
    store.migrate().await?;
    let name = OrgName::parse("Bench")?;
    let slug = name.slug()?;
    store.create_org(&name, &slug, None).await?;
    let access = store.operator_access(&slug).await?.expect("org just created");
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    // Distinct names: with rcgen's default for both, a verifier takes the leaf for self-signed.
    ca.distinguished_name.push(DnType::CommonName, "Portcullis bench CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate()?)?;
    let names: Vec<DomainName> = (0..n)
        .map(|i| DomainName::parse(&format!("d{i}.bench")).unwrap())
        .collect();
    store.add_domains(&access, &names).await?;
    for d in &names {
        store.prove_domain(d, "operator").await?;
    }
    let mut sample = String::new();
    for (i, d) in names.iter().enumerate() {
        let mx = vec![
            MxPattern::parse(&format!("mx1.{d}"))?,
            MxPattern::parse(&format!("*.mx.{d}"))?,
        ];
        let policy = Policy::new(Mode::Enforce, 604_800, mx)?;
        store.save_policy(&access, d, &policy, "bench", "bench").await?;
        let key = KeyPair::generate()?;
        let cert = CertificateParams::new(vec![format!("mta-sts.{d}")])?.signed_by(&key, &ca)?;
        store
            .save_certificate(d.as_str(), &cert.pem(), &key.serialize_pem(), i64::MAX / 2)
            .await?;
        if i == 0 {
            sample = policy.render();
        }
    }
    // The load generator connects to "localhost" (it cannot vary SNI per request); both servers
    // get this same certificate for it. Stored like the others so Portcullis loads it the same way.
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
    params.distinguished_name.push(DnType::CommonName, "localhost");
    let cert = params.signed_by(&key, &ca)?;
    let localhost = DomainName::parse("localhost.bench")?;
    store.add_domain(&access, &localhost).await?;
    store
        .save_named_certificate(
            "localhost",
            localhost.as_str(),
            &cert.pem(),
            &key.serialize_pem(),
            i64::MAX / 2,
        )
        .await?;
    std::fs::write(out.join("localhost.crt"), cert.pem())?;
    std::fs::write(out.join("ca.crt"), ca.pem())?;
    std::fs::write(out.join("localhost.key"), key.serialize_pem())?;
    std::fs::write(out.join("policy.txt"), sample)?;
    eprintln!(
        "{n} domains with policies and certificates in {}",
        portcullis_store::redact(url)
    );
    Ok(())
}
