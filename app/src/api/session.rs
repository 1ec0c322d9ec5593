use crate::dto::PageCtx;
#[cfg(feature = "ssr")]
use crate::dto::Viewer;
use crate::AppError;
use leptos::prelude::*;

/// The page's context: who is signed in, their organisations, pending one-time messages, and
/// the anti-forgery token for the page's forms.
#[server(prefix = "/sfn", endpoint = "load_page")]
pub async fn load_page() -> Result<PageCtx, AppError> {
    use crate::ssr::*;
    let st = state()?;
    let req = request()?;
    let viewer = match &req.user {
        Some(u) => Some(Viewer {
            email: u.email.clone(),
            is_admin: u.is_admin,
            must_change_password: u.must_change_password,
            orgs: st.services.orgs_for(u).await.map_err(service_error)?,
        }),
        None => None,
    };
    let flash = take_flash(&st, &req).await;
    Ok(PageCtx {
        csrf: req.csrf,
        viewer,
        flash,
        setup_token_required: st.services.setup_token_required(),
    })
}

/// First start: creates the platform administrator and signs them in.
#[server(prefix = "/sfn", endpoint = "setup")]
pub async fn setup(
    csrf: String,
    email: String,
    password: String,
    confirm: String,
    token: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let st = state()?;
    let req = request()?;
    check_csrf(&req, &csrf)?;
    let login = st
        .services
        .setup_from_dashboard(token.as_deref(), &email, &password, &confirm)
        .await
        .map_err(service_error)?;
    set_session_cookie(&req, &login.session_token);
    go("/orgs?welcome=1");
    Ok(())
}

#[server(prefix = "/sfn", endpoint = "login")]
pub async fn login(csrf: String, email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::ssr::*;
    let st = state()?;
    let req = request()?;
    check_csrf(&req, &csrf)?;
    let login = st
        .services
        .login(&email, &password, &req.client)
        .await
        .map_err(service_error)?;
    set_session_cookie(&req, &login.session_token);
    // Only paths on this site: never an open redirect to another one.
    let target = next
        .as_deref()
        .and_then(portcullis_domain::LocalPath::parse)
        .map_or_else(|| "/".to_string(), |p| p.as_str().to_string());
    go(if login.user.must_change_password {
        "/account"
    } else {
        &target
    });
    Ok(())
}

#[server(prefix = "/sfn", endpoint = "logout")]
pub async fn logout(csrf: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let st = state()?;
    let req = request()?;
    check_csrf(&req, &csrf)?;
    if let Some(session) = &req.session {
        st.services.logout(session).await.map_err(service_error)?;
    }
    clear_session_cookie(&req);
    go("/login?signed_out=1");
    Ok(())
}

#[server(prefix = "/sfn", endpoint = "change_password")]
pub async fn change_password(csrf: String, current: String, password: String, confirm: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let (st, req, user) = require_signed_in()?;
    check_csrf(&req, &csrf)?;
    let login = st
        .services
        .change_password(&user, &current, &password, &confirm)
        .await
        .map_err(service_error)?;
    set_session_cookie(&req, &login.session_token);
    go("/?password_changed=1");
    Ok(())
}
