//! `setup-token`, `user`, `org` and `token`: the people and organisations that use Portcullis.

use super::access::{by_slug, fail};
use super::{ExitStatus, OrgCommand, TokenCommand, UserCommand};
use anyhow::Context;
use portcullis_service::{Operator, Services};

pub(super) async fn setup_token(services: &Services) -> anyhow::Result<ExitStatus> {
    match services.setup_token().await.map_err(fail)? {
        Some(token) => println!("{token}"),
        None => anyhow::bail!("Portcullis is already set up: sign in instead"),
    }
    Ok(0)
}

pub(super) async fn user(services: &Services, command: UserCommand) -> anyhow::Result<ExitStatus> {
    let UserCommand::Create { email, admin } = command;
    let (user, password) = services
        .create_user_with_one_time_password(&email, admin)
        .await
        .map_err(fail)?;
    eprintln!(
        "created {}{}; one-time password (change it at first sign-in):",
        user.email,
        if admin { " (platform admin)" } else { "" }
    );
    println!("{password}");
    Ok(0)
}

pub(super) async fn org(operator: &Operator, command: OrgCommand) -> anyhow::Result<ExitStatus> {
    match command {
        OrgCommand::Create { name, owner } => {
            let owner = match owner {
                Some(email) => {
                    let email = portcullis_domain::Email::parse(&email).map_err(|e| anyhow::anyhow!("{e}"))?;
                    Some(
                        operator
                            .user(&email)
                            .await
                            .map_err(fail)?
                            .with_context(|| format!("no user {email}"))?,
                    )
                }
                None => None,
            };
            let org = operator.create_org(&name, owner.as_ref()).await.map_err(fail)?;
            println!("{}", org.slug);
        }
        OrgCommand::List => {
            for org in operator.orgs().await.map_err(fail)? {
                println!("{}\t{}", org.slug, org.name);
            }
        }
    }
    Ok(0)
}

pub(super) async fn token(
    services: &Services,
    operator: &Operator,
    command: TokenCommand,
) -> anyhow::Result<ExitStatus> {
    let TokenCommand::Create { org, role, name } = command;
    let access = by_slug(operator, &org).await?;
    let (secret, _) = services.create_token(&access, &name, &role).await.map_err(fail)?;
    println!("{secret}");
    Ok(0)
}
