//! `dns`: the records to publish for a domain, and a live check of them.

use super::access::{by_domain, fail};
use super::{DnsCommand, ExitStatus};
use portcullis_domain::dns::Status;
use portcullis_service::{Operator, Services};

pub(super) async fn run(services: &Services, operator: &Operator, command: DnsCommand) -> anyhow::Result<ExitStatus> {
    match command {
        DnsCommand::Records { domain, zone } => {
            let access = by_domain(operator, &domain).await?;
            let overview = services.dns_overview(&access, &domain).await.map_err(fail)?;
            if zone {
                print!("{}", overview.zone);
            } else {
                for r in &overview.records {
                    println!("{}\t{}\t{}", r.name, r.rtype, r.value);
                }
            }
            if !overview.public_host_configured {
                eprintln!("warning: PORTCULLIS_PUBLIC_HOST is not set; the CNAME target is a placeholder");
            }
            if !overview.has_policy {
                eprintln!("note: no policy yet, so no _mta-sts record (see `portcullis policy set`)");
            }
            Ok(0)
        }
        // Exit 3 when the check found errors.
        DnsCommand::Check { domain, json } => {
            let access = by_domain(operator, &domain).await?;
            let run = services.check_dns(&access, &domain, "cli").await.map_err(fail)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&run)?);
            } else {
                for f in &run.findings {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        f.severity.as_str(),
                        f.code,
                        f.subject,
                        f.seen,
                        f.fix
                    );
                }
                eprintln!("status: {}", run.status.as_str());
            }
            Ok(if run.status == Status::Error { 3 } else { 0 })
        }
    }
}
