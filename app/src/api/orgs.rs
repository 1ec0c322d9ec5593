use crate::dto::OrgDetail;
use crate::AppError;
use leptos::prelude::*;

#[server(prefix = "/sfn", endpoint = "get_org")]
pub async fn get_org(slug: String) -> Result<OrgDetail, AppError> {
    use crate::dto::OrgWithRole;
    use crate::ssr::*;
    use portcullis_domain::Role;
    let (st, _req, user) = require_user()?;
    let access = org_access(&st, &user, &slug).await?;
    let members = st.services.members(&access).await.map_err(service_error)?;
    let (tokens, invitations) = if access.role().allows(Role::Owner) {
        (
            Some(st.services.tokens(&access).await.map_err(service_error)?),
            Some(st.services.invitations(&access).await.map_err(service_error)?),
        )
    } else {
        (None, None)
    };
    let domain_count = st
        .services
        .list_domains_in(std::slice::from_ref(&access), None, 1)
        .await
        .map_err(service_error)?
        .total;
    let push = if access.role().allows(Role::Owner) {
        st.services
            .push_settings(&access)
            .await
            .map_err(service_error)?
            .map(|p| crate::dto::PushSettingsItem {
                provider: p.provider,
                server: p.server,
                key_name: p.key_name,
                algorithm: p.algorithm,
                updated_by: p.updated_by,
                updated_at: p.updated_at,
                domains: p.domains,
            })
    } else {
        None
    };
    let (shares, domains) = if access.role().allows(Role::Owner) {
        let shares = st
            .services
            .share_links(&access)
            .await
            .map_err(service_error)?
            .into_iter()
            .map(|s| crate::dto::ShareItem {
                id: s.link.id,
                domain: s.link.domain,
                label: s.link.label,
                created_by: s.link.created_by,
                created_at: s.link.created_at,
                expires_at: s.link.expires_at,
                revoked_at: s.link.revoked_at,
                live: s.live,
            })
            .collect();
        let domains = st
            .services
            .list_domains_in(std::slice::from_ref(&access), None, 1)
            .await
            .map_err(service_error)?
            .rows
            .into_iter()
            .map(|d| d.name)
            .collect();
        (Some(shares), domains)
    } else {
        (None, Vec::new())
    };
    Ok(OrgDetail {
        shares,
        domains,
        push,
        push_available: st.services.push_available(),
        org: OrgWithRole {
            slug: access.org_slug().into(),
            name: access.org_name().into(),
            role: access.role(),
            domain_count,
        },
        members,
        tokens,
        invitations,
    })
}

#[server(prefix = "/sfn", endpoint = "create_org")]
pub async fn create_org(csrf: String, name: String) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = guard(&csrf)?;
    let org = st.services.create_org(&user, &name).await.map_err(service_error)?;
    flash(
        &st,
        &req,
        Flash::Notice(format!("Created {}. Add its domains next.", org.name)),
    )
    .await;
    go(&format!("/?org={}", org.slug));
    Ok(())
}

/// Changes a member's role, or invites someone who is not a member yet.
#[server(prefix = "/sfn", endpoint = "add_member")]
pub async fn add_member(csrf: String, org: String, email: String, role: String) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    use portcullis_service::MemberChange;
    let (st, req, user) = guard(&csrf)?;
    let access = org_access(&st, &user, &org).await?;
    let change = st
        .services
        .add_member(&access, &user.email, &email, &role)
        .await
        .map_err(service_error)?;
    let message = match change {
        MemberChange::RoleChanged { email, role } => Flash::Notice(format!("{email} is now {}.", role.as_str())),
        MemberChange::Invited { invitation, token } => Flash::MemberInvited {
            email: invitation.email,
            link: site_url(&req, &format!("/invite/{token}")),
            expires_at: invitation.expires_at,
        },
    };
    flash(&st, &req, message).await;
    go(&format!("/orgs/{}", access.org_slug()));
    Ok(())
}

#[server(prefix = "/sfn", endpoint = "revoke_invitation")]
pub async fn revoke_invitation(csrf: String, org: String, id: i64) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = guard(&csrf)?;
    let access = org_access(&st, &user, &org).await?;
    st.services
        .revoke_invitation(&access, id)
        .await
        .map_err(service_error)?;
    flash(
        &st,
        &req,
        Flash::Notice("Invitation withdrawn: its link no longer works.".into()),
    )
    .await;
    go(&format!("/orgs/{}", access.org_slug()));
    Ok(())
}

#[server(prefix = "/sfn", endpoint = "remove_member")]
pub async fn remove_member(csrf: String, org: String, user_id: i64) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = guard(&csrf)?;
    let access = org_access(&st, &user, &org).await?;
    st.services
        .remove_member(&access, user_id)
        .await
        .map_err(service_error)?;
    flash(&st, &req, Flash::Notice("Member removed.".into())).await;
    go(&format!("/orgs/{}", access.org_slug()));
    Ok(())
}

#[server(prefix = "/sfn", endpoint = "create_token")]
pub async fn create_token(csrf: String, org: String, name: String, role: String) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = guard(&csrf)?;
    let access = org_access(&st, &user, &org).await?;
    let (secret, info) = st
        .services
        .create_token(&access, &name, &role)
        .await
        .map_err(service_error)?;
    flash(
        &st,
        &req,
        Flash::TokenCreated {
            name: info.name,
            secret,
        },
    )
    .await;
    go(&format!("/orgs/{}", access.org_slug()));
    Ok(())
}

#[server(prefix = "/sfn", endpoint = "revoke_token")]
pub async fn revoke_token(csrf: String, org: String, id: i64) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = guard(&csrf)?;
    let access = org_access(&st, &user, &org).await?;
    st.services.revoke_token(&access, id).await.map_err(service_error)?;
    flash(&st, &req, Flash::Notice("Token revoked.".into())).await;
    go(&format!("/orgs/{}", access.org_slug()));
    Ok(())
}

/// Saves the organisation's push settings (owners). The secret is sealed and never shown again.
#[server(prefix = "/sfn", endpoint = "save_push_settings")]
pub async fn save_push_settings(
    csrf: String,
    org: String,
    provider: Option<String>,
    server: Option<String>,
    key_name: Option<String>,
    algorithm: Option<String>,
    secret: String,
) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = guard(&csrf)?;
    let access = org_access(&st, &user, &org).await?;
    let provider = provider.unwrap_or_default();
    let via_api = provider == "cloudflare";
    let input = portcullis_service::PushInput {
        provider,
        server: server.unwrap_or_default(),
        key_name: key_name.unwrap_or_default(),
        algorithm: algorithm.unwrap_or_default(),
        secret,
    };
    let view = st
        .services
        .save_push_settings(&access, &user.email, &input)
        .await
        .map_err(|e| match service_error(e) {
            // The page has a form per way of pushing: the token's refusal shows under the token.
            AppError::Invalid { field, message } if via_api && field == "secret" => AppError::invalid("token", message),
            other => other,
        })?;
    let notice = if view.provider == "cloudflare" {
        "Push settings saved: records are written through Cloudflare's API. The token is stored sealed and not shown again.".to_string()
    } else {
        format!(
            "Push settings saved: updates go to {} signed with key {} ({}). The secret is stored sealed and not shown again.",
            view.server, view.key_name, view.algorithm
        )
    };
    flash(&st, &req, Flash::Notice(notice)).await;
    go(&format!("/orgs/{}#push", access.org_slug()));
    Ok(())
}

#[server(prefix = "/sfn", endpoint = "remove_push_settings")]
pub async fn remove_push_settings(csrf: String, org: String) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = guard(&csrf)?;
    let access = org_access(&st, &user, &org).await?;
    st.services.delete_push_settings(&access).await.map_err(service_error)?;
    flash(&st, &req, Flash::Notice("Push settings removed.".into())).await;
    go(&format!("/orgs/{}#push", access.org_slug()));
    Ok(())
}
