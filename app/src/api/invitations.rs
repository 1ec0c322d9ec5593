//! The invitation link's page: who invites whom to what, and the ways to accept.

use crate::dto::InvitationPage;
use crate::AppError;
use leptos::prelude::*;

#[server(prefix = "/sfn", endpoint = "get_invitation")]
pub async fn get_invitation(token: String) -> Result<InvitationPage, AppError> {
    use crate::ssr::*;
    let st = state()?;
    let req = request()?;
    let view = st.services.invitation(&token).await.map_err(service_error)?;
    Ok(InvitationPage {
        org_name: view.invitation.org_name,
        email: view.invitation.email,
        role: view.invitation.role,
        invited_by: view.invitation.invited_by,
        expires_at: view.invitation.expires_at,
        has_account: view.has_account,
        signed_in_as: req.user.map(|u| u.email),
    })
}

/// The signed-in user accepts an invitation for their own address.
#[server(prefix = "/sfn", endpoint = "accept_invitation")]
pub async fn accept_invitation(csrf: String, token: String) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = require_signed_in()?;
    check_csrf(&req, &csrf)?;
    let slug = st
        .services
        .accept_invitation(&token, &user)
        .await
        .map_err(service_error)?;
    flash(&st, &req, Flash::Notice("Welcome: you are a member now.".into())).await;
    go(&format!("/orgs/{slug}"));
    Ok(())
}

/// Someone without an account accepts by choosing their password.
#[server(prefix = "/sfn", endpoint = "accept_invitation_with_password")]
pub async fn accept_invitation_with_password(
    csrf: String,
    token: String,
    password: String,
    confirm: String,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let st = state()?;
    let req = request()?;
    check_csrf(&req, &csrf)?;
    let (login, slug) = st
        .services
        .accept_invitation_with_password(&token, &password, &confirm)
        .await
        .map_err(service_error)?;
    set_session_cookie(&req, &login.session_token);
    go(&format!("/orgs/{slug}?welcome=1"));
    Ok(())
}
