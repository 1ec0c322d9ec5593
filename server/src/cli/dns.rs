//! `dns`: the records to publish for a domain, and a live check of them.

use super::access::{by_domain, by_slug, fail};
use super::{DnsCommand, ExitStatus};
use portcullis_domain::dns::Status;
use portcullis_service::{Operator, PushInput, Services};

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
        DnsCommand::Setup { domain, to } => {
            let access = by_domain(operator, &domain).await?;
            services.set_dns_setup(&access, &domain, &to).await.map_err(fail)?;
            let overview = services.dns_overview(&access, &domain).await.map_err(fail)?;
            for r in &overview.records {
                println!("{}\t{}\t{}", r.name, r.rtype, r.value);
            }
            eprintln!("{domain}: records {}", overview.setup.label());
            Ok(0)
        }
        DnsCommand::Push { domain } => {
            let access = by_domain(operator, &domain).await?;
            let outcome = services.push_now(&access, &domain).await.map_err(fail)?;
            println!("{}", outcome.policy_id);
            match (&outcome.error, outcome.verified) {
                (Some(e), _) => eprintln!("push failed: {e}"),
                (None, Some(false)) => eprintln!("pushed, but the DNS check does not see the new id yet"),
                (None, Some(true)) => eprintln!("pushed and verified"),
                (None, None) => eprintln!("pushed (not verified: no resolver)"),
            }
            Ok(if outcome.ok() { 0 } else { 3 })
        }
        DnsCommand::PushSettings {
            org,
            provider,
            server,
            key_name,
            algorithm,
            secret_file,
            remove,
        } => {
            let access = by_slug(operator, &org).await?;
            if remove {
                services.delete_push_settings(&access).await.map_err(fail)?;
                eprintln!("push settings of {org} removed");
                return Ok(0);
            }
            let read_secret = |file: &std::path::Path| {
                std::fs::read_to_string(file)
                    .map(|s| s.lines().next().unwrap_or_default().trim().to_string())
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))
            };
            let via_api = provider == "cloudflare";
            let input = match (via_api, server, key_name, secret_file) {
                (true, None, None, Some(file)) => Some(PushInput {
                    provider,
                    secret: read_secret(&file)?,
                    ..PushInput::default()
                }),
                (true, _, _, _) => {
                    anyhow::bail!("--provider cloudflare takes --secret-file (the API token) only")
                }
                (false, Some(server), Some(key_name), Some(file)) => Some(PushInput {
                    provider,
                    server,
                    key_name,
                    algorithm,
                    secret: read_secret(&file)?,
                }),
                (false, None, None, None) => None,
                _ => anyhow::bail!("give --server, --key-name and --secret-file together"),
            };
            let view = match input {
                Some(input) => services
                    .save_push_settings(&access, "command line", &input)
                    .await
                    .map_err(fail)?,
                None => services
                    .push_settings(&access)
                    .await
                    .map_err(fail)?
                    .ok_or_else(|| anyhow::anyhow!("{org} has no push settings"))?,
            };
            if view.provider == "cloudflare" {
                println!("cloudflare\t{} domain(s)", view.domains);
            } else {
                println!(
                    "{}\t{}\t{}\t{} domain(s)",
                    view.server, view.key_name, view.algorithm, view.domains
                );
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
