//! Server functions for an organisation's alert channels: list, add, remove, test-send.

use crate::dto::AlertsView;
use crate::AppError;
use leptos::prelude::*;

#[server(prefix = "/sfn", endpoint = "get_alerts")]
pub async fn get_alerts(slug: String) -> Result<AlertsView, AppError> {
    use crate::dto::{AlertItem, ChannelItem};
    use crate::ssr::*;
    let (st, _req, user) = require_user()?;
    let access = org_access(&st, &user, &slug).await?;
    let settings = st.services.alert_settings(&access).await.map_err(service_error)?;
    Ok(AlertsView {
        org_slug: access.org_slug().into(),
        org_name: access.org_name().into(),
        role: access.role(),
        channels: settings
            .channels
            .into_iter()
            .map(|c| ChannelItem {
                id: c.id,
                kind: c.kind,
                target: c.target,
                created_by: c.created_by,
                created_at: c.created_at,
                last_sent_at: c.last_sent_at,
                last_error: c.last_error,
                last_error_at: c.last_error_at,
            })
            .collect(),
        recent: settings
            .recent
            .into_iter()
            .map(|a| AlertItem {
                title: portcullis_domain::AlertKind::title_of(&a.kind),
                domain: a.domain,
                kind: a.kind,
                detail: a.detail,
                created_at: a.created_at,
            })
            .collect(),
        can_email: settings.can_email,
        delivering: settings.delivering,
    })
}

#[server(prefix = "/sfn", endpoint = "add_alert_channel")]
pub async fn add_alert_channel(csrf: String, org: String, kind: String, target: String) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = guard(&csrf)?;
    let access = org_access(&st, &user, &org).await?;
    let channel = st
        .services
        .add_alert_channel(&access, &kind, &target, user.email.as_str())
        .await
        .map_err(service_error)?;
    flash(
        &st,
        &req,
        Flash::Notice(format!(
            "Alerts now also go to {} ({}). Send a test to make sure they arrive.",
            channel.target, channel.kind
        )),
    )
    .await;
    go(&format!("/orgs/{}/alerts", access.org_slug()));
    Ok(())
}

#[server(prefix = "/sfn", endpoint = "delete_alert_channel")]
pub async fn delete_alert_channel(csrf: String, org: String, id: i64) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = guard(&csrf)?;
    let access = org_access(&st, &user, &org).await?;
    st.services
        .delete_alert_channel(&access, id)
        .await
        .map_err(service_error)?;
    flash(&st, &req, Flash::Notice("Alert channel removed.".into())).await;
    go(&format!("/orgs/{}/alerts", access.org_slug()));
    Ok(())
}

#[server(prefix = "/sfn", endpoint = "test_alert_channel")]
pub async fn test_alert_channel(csrf: String, org: String, id: i64) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = guard(&csrf)?;
    let access = org_access(&st, &user, &org).await?;
    let channel = st
        .services
        .test_alert_channel(&access, id)
        .await
        .map_err(service_error)?;
    flash(
        &st,
        &req,
        Flash::Notice(format!("Test message delivered to {}.", channel.target)),
    )
    .await;
    go(&format!("/orgs/{}/alerts", access.org_slug()));
    Ok(())
}
