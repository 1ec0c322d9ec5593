//! `domain`: add, list, prove and remove domains, move them between modes through the gate, and
//! show which policy their senders apply.

use super::access::{by_domain, by_slug, fail};
use super::{DomainCommand, ExitStatus};
use anyhow::bail;
use portcullis_domain::dns::Severity;
use portcullis_service::{
    ClaimCheck, Operator, ServiceError, Services, TransitionOutcome, TransitionRequest, DOMAINS_PAGE_SIZE,
};

pub(super) async fn run(
    services: &Services,
    operator: &Operator,
    command: DomainCommand,
) -> anyhow::Result<ExitStatus> {
    match command {
        DomainCommand::Add { org, names } => {
            let access = by_slug(operator, &org).await?;
            let mut failed = false;
            for name in names {
                match services.add_domain(&access, &name).await {
                    Ok(row) => println!("{}", row.name),
                    Err(e) => {
                        eprintln!("{name}: {e}");
                        failed = true;
                    }
                }
            }
            if failed {
                bail!("some domains were not added");
            }
        }
        DomainCommand::List { org, search } => {
            let accesses = match org {
                Some(org) => vec![by_slug(operator, &org).await?],
                None => operator.accesses().await.map_err(fail)?,
            };
            let mut page = 1;
            loop {
                let found = services
                    .list_domains_in(&accesses, search.as_deref(), page)
                    .await
                    .map_err(fail)?;
                for d in &found.rows {
                    println!("{}\t{}", d.name, d.org_slug);
                }
                if page * DOMAINS_PAGE_SIZE >= found.total {
                    break;
                }
                page += 1;
            }
        }
        DomainCommand::Prove { name } => {
            let newly = services.prove_as_operator(operator, &name).await.map_err(|e| match e {
                ServiceError::NotFound => anyhow::anyhow!("no domain {name} is registered"),
                other => fail(other),
            })?;
            eprintln!("{name}: {}", if newly { "control proven" } else { "already proven" });
        }
        DomainCommand::Remove { org, name } => {
            let access = by_slug(operator, &org).await?;
            services.delete_domain(&access, &name).await.map_err(|e| match e {
                ServiceError::NotFound => anyhow::anyhow!("no domain {name} in {org}"),
                other => fail(other),
            })?;
            eprintln!("removed {name}");
        }
        DomainCommand::Readiness { name, json } => return readiness(services, operator, &name, json).await,
        DomainCommand::Transition {
            name,
            to,
            confirm,
            reason,
        } => return transition(services, operator, &name, TransitionRequest { to, confirm, reason }).await,
        DomainCommand::History { name } => {
            let access = by_domain(operator, &name).await?;
            for t in services.transitions(&access, &name).await.map_err(fail)? {
                let when = chrono::DateTime::from_timestamp(t.created_at, 0)
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default();
                let overridden = if t.overridden { " (gate overridden)" } else { "" };
                println!(
                    "{when}\t{}\t{}{overridden}\t{}\t{}\t{}",
                    t.from_mode, t.to_mode, t.actor, t.policy_id, t.reason
                );
            }
        }
        DomainCommand::Patterns { org, days, json } => {
            let accesses = match org {
                Some(org) => vec![by_slug(operator, &org).await?],
                None => operator.accesses().await.map_err(fail)?,
            };
            let o = services.failure_patterns(&accesses, days).await.map_err(fail)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&crate::web::api::patterns_json(&o))?);
                return Ok(0);
            }
            for p in &o.patterns {
                let domains: Vec<String> = p.domains.iter().map(|(d, n)| format!("{d} ({n})")).collect();
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    if p.kind.is_sender_side() { "sender" } else { "shared" },
                    p.kind.as_str(),
                    p.key,
                    p.failed,
                    domains.join(", ")
                );
            }
            eprintln!("{} to {}: {} pattern(s)", o.from, o.to, o.patterns.len());
        }
        DomainCommand::Senders { name, days, json } => {
            let access = by_domain(operator, &name).await?;
            let o = services
                .sender_policies(&access, &name, None, None, days)
                .await
                .map_err(fail)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&crate::web::api::senders_json(&name, &o))?
                );
                return Ok(0);
            }
            let time = |t: i64| {
                chrono::DateTime::from_timestamp(t, 0)
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default()
            };
            for s in &o.senders {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    s.organization,
                    s.policy_id.as_deref().unwrap_or("unknown"),
                    s.mode.as_deref().unwrap_or("-"),
                    s.adoption.as_str(),
                    time(s.since),
                    s.sessions,
                    time(s.last_report_at)
                );
            }
            let (current, all) = o.adoption();
            match &o.served {
                Some(v) => eprintln!(
                    "{} to {}: {current} of {all} sender(s) apply the served policy {}",
                    o.from, o.to, v.policy_id
                ),
                None => eprintln!("{} to {}: {all} sender(s); no policy is served", o.from, o.to),
            }
        }
        DomainCommand::MxPlan {
            name,
            add,
            retire,
            close,
            json,
        } => {
            let access = by_domain(operator, &name).await?;
            if close {
                let outcome = services
                    .close_mx_plan(&access, &name, "command line")
                    .await
                    .map_err(fail)?;
                eprintln!("the MX plan for {name} is closed ({outcome})");
                return Ok(0);
            }
            let plan = if add.is_empty() && retire.is_empty() {
                services.mx_plan(&access, &name).await.map_err(fail)?
            } else {
                Some(
                    services
                        .create_mx_plan(&access, &name, &add, &retire, "command line")
                        .await
                        .map_err(fail)?,
                )
            };
            if json {
                let body = plan.as_ref().map(crate::web::api::plan_json);
                println!("{}", serde_json::to_string_pretty(&body)?);
                return Ok(0);
            }
            let Some(plan) = plan else {
                eprintln!("{name} has no open MX plan; open one with --add HOST and/or --retire HOST");
                return Ok(0);
            };
            for s in &plan.steps {
                let earliest = s
                    .earliest
                    .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_else(|| "-".into());
                println!("{}\t{}\t{}\t{}", s.code.as_str(), s.state.as_str(), earliest, s.title);
            }
            eprintln!(
                "{} plan: {}; replayed against {} to {}, the planned policy in enforce refuses {} session(s)",
                plan.kind,
                match plan.next_step() {
                    Some(s) => format!("next: {}", s.title),
                    None => "every step is done (close it with --close)".into(),
                },
                plan.replay_from,
                plan.replay_to,
                plan.replay.refused_sessions
            );
        }
        DomainCommand::FixDrift { name } => {
            let access = by_domain(operator, &name).await?;
            let fix = services
                .fix_mx_drift(&access, &name, "command line")
                .await
                .map_err(fail)?;
            eprintln!(
                "added {} to the policy; now publish _mta-sts.{} TXT \"{}\"",
                fix.added.join(", "),
                name.trim_end_matches('.').to_ascii_lowercase(),
                fix.sts_record
            );
            println!("{}", fix.policy_id);
        }
        DomainCommand::Claim { org, name } => {
            let access = by_slug(operator, &org).await?;
            let claim = services
                .claim_domain(&access, &name, "command line")
                .await
                .map_err(fail)?;
            for r in std::iter::once(&claim.record).chain(&claim.delegation) {
                println!("{}\t{}\t{}", r.name, r.rtype, r.value);
            }
            eprintln!("publish the TXT record (or the delegation CNAMEs), then run `portcullis domain claim-check --org {org} {}`", claim.name);
        }
        DomainCommand::ClaimCheck { org, name } => {
            let access = by_slug(operator, &org).await?;
            match services.check_claim(&access, &name).await.map_err(fail)? {
                ClaimCheck::Released { how } => eprintln!("{name}: control proven ({how}); the domain is now in {org}"),
                ClaimCheck::NotYet { findings } => {
                    for f in findings.iter().filter(|f| f.severity != Severity::Ok) {
                        eprintln!("{}: {}", f.code, f.seen);
                    }
                    return Ok(3);
                }
            }
        }
    }
    Ok(0)
}

/// Exit 3 when the domain is not ready for enforce.
async fn readiness(services: &Services, operator: &Operator, name: &str, json: bool) -> anyhow::Result<ExitStatus> {
    let access = by_domain(operator, name).await?;
    let view = services.readiness(&access, name).await.map_err(fail)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&view)?);
    } else {
        for i in &view.readiness.items {
            println!(
                "{}\t{}\t{}",
                if i.ok { "ok" } else { "FAIL" },
                i.code.as_str(),
                i.detail
            );
        }
        eprintln!("mode: {}; ready for enforce: {}", view.mode, view.readiness.ready);
        if !view.mx_drift.is_empty() {
            eprintln!(
                "MX drift: {} not covered by the enforced policy (fix: portcullis domain fix-drift {})",
                view.mx_drift.join(", "),
                view.domain
            );
        }
        if let Some(advice) = &view.max_age_advice {
            eprintln!("{advice}");
        }
    }
    Ok(if view.readiness.ready { 0 } else { 3 })
}

/// Exit 4 when the readiness gate refuses the move.
async fn transition(
    services: &Services,
    operator: &Operator,
    name: &str,
    request: TransitionRequest,
) -> anyhow::Result<ExitStatus> {
    let access = by_domain(operator, name).await?;
    match services
        .transition(&access, name, &request, "command line")
        .await
        .map_err(fail)?
    {
        TransitionOutcome::Done {
            transition,
            sts_record,
            retire_at,
        } => {
            println!("{}", transition.policy_id);
            eprintln!(
                "{name}: {} → {}; now publish _mta-sts TXT \"{sts_record}\"",
                transition.from_mode, transition.to_mode
            );
            if let Some(t) = retire_at.and_then(|t| chrono::DateTime::from_timestamp(t, 0)) {
                eprintln!("\"mode: none\" is served until {}, then nothing", t.to_rfc3339());
            }
            Ok(0)
        }
        TransitionOutcome::Refused(readiness) => {
            for i in readiness.failing() {
                eprintln!("FAIL\t{}\t{}", i.code.as_str(), i.detail);
            }
            eprintln!("not moved: the readiness gate failed (override with --confirm {name} --reason ...)");
            Ok(4)
        }
    }
}
