//! `policy`: show, set and list a domain's served policy, or propose one from its MX records.

use super::access::{by_domain, fail};
use super::{ExitStatus, PolicyCommand};
use anyhow::{bail, Context};
use portcullis_domain::{Mode, Policy, PolicySpec};
use portcullis_service::{Operator, Services};
use portcullis_store::SaveOutcome;

pub(super) async fn run(
    services: &Services,
    operator: &Operator,
    command: PolicyCommand,
) -> anyhow::Result<ExitStatus> {
    match command {
        PolicyCommand::Show { domain } => {
            let access = by_domain(operator, &domain).await?;
            let state = services.policy_state(&access, &domain).await.map_err(fail)?;
            let current = state
                .current
                .with_context(|| format!("{} has no policy yet (see `portcullis policy set`)", state.domain))?;
            eprintln!("# id {} ({})", current.policy_id, current.note);
            print!("{}", current.body.replace("\r\n", "\n"));
            for w in state.policy.iter().flat_map(|p| p.warnings()) {
                eprintln!("warning: {}", w.message());
            }
        }
        PolicyCommand::Set {
            domain,
            mode,
            max_age,
            mx,
        } => {
            let access = by_domain(operator, &domain).await?;
            let mode = Mode::parse(&mode).map_err(|e| anyhow::anyhow!("--mode: {e}"))?;
            let spec = PolicySpec { mode, max_age, mx };
            match services
                .save_policy(&access, &domain, &spec, "command line")
                .await
                .map_err(fail)?
            {
                SaveOutcome::Saved(v) => {
                    println!("{}", v.policy_id);
                    eprintln!(
                        "saved: {}; now publish _mta-sts TXT \"v=STSv1; id={}\"",
                        v.note, v.policy_id
                    );
                }
                SaveOutcome::Unchanged(v) => {
                    println!("{}", v.policy_id);
                    eprintln!("unchanged: the served policy is already this text");
                }
            }
            let policy = Policy::from_spec(&spec).map_err(|e| anyhow::anyhow!("{e}"))?;
            for w in policy.warnings() {
                eprintln!("warning: {}", w.message());
            }
        }
        PolicyCommand::Versions { domain } => {
            let access = by_domain(operator, &domain).await?;
            for v in services.policy_versions(&access, &domain).await.map_err(fail)? {
                let when = chrono::DateTime::from_timestamp(v.created_at, 0)
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default();
                println!("{}\t{when}\t{}\t{}", v.policy_id, v.author, v.note);
            }
        }
        PolicyCommand::FromMx { domain } => {
            let access = by_domain(operator, &domain).await?;
            let proposal = services.propose_from_mx(&access, &domain).await.map_err(fail)?;
            if let Some(why) = &proposal.explanation {
                bail!("{why}");
            }
            for r in proposal.records() {
                eprintln!("MX {} {}", r.preference, r.host);
            }
            for u in &proposal.suggestion.unusable {
                eprintln!("cannot be covered: {} ({})", u.host, u.reason);
            }
            for p in &proposal.suggestion.patterns {
                println!("{}", p.pattern);
                eprintln!("  covers {}", p.covers.join(", "));
            }
        }
    }
    Ok(0)
}
