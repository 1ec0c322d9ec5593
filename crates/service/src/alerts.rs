//! Alerts: the rules that raise them (DNS error and MX drift come from each DNS check; the
//! certificate, failure-rate, stale-id and report-silence rules from the periodic pass), each organisation's
//! channels, and delivery as a digest: every pass sends a channel one message with everything
//! new, and the store keeps at most one alert per domain, kind and day.

use portcullis_domain::dns::{Finding, FindingCode};
use portcullis_domain::lifecycle::is_sts_relevant;
use portcullis_domain::{AlertKind, Role};
use portcullis_notify::{Item, Message, Notifier, Target};
use portcullis_store::{utc_day as day, AlertChannel, AlertRow, OrgAccess};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use crate::{ServiceError, Services};

/// A certificate expiring within this many days raises an alert.
pub const CERT_ALERT_DAYS: i64 = 14;
/// The `_mta-sts` id must be updated within this many hours of a policy change.
pub const STALE_ID_HOURS: i64 = 24;
/// Days of reports the failure-rate rule reads.
pub const FAILURE_RATE_DAYS: i64 = 7;
/// A channel whose delivery failed is retried after this many seconds.
pub const RETRY_AFTER_SECS: i64 = 300;

/// Where alert messages go and how they link back.
#[derive(Debug, Clone)]
pub(crate) struct AlertDelivery {
    pub notifier: Arc<Notifier>,
    /// The dashboard's alerts page, for messages; empty when unknown.
    pub link: String,
}

/// A channel as the settings page shows it (webhook URLs without their secret part).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelView {
    pub id: i64,
    pub kind: String,
    pub target: String,
    pub created_by: String,
    pub created_at: i64,
    pub last_sent_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertSettings {
    pub channels: Vec<ChannelView>,
    pub recent: Vec<AlertRow>,
    /// E-mail channels work (an SMTP relay is configured).
    pub can_email: bool,
    /// Alerts are delivered at all (this server has a notifier).
    pub delivering: bool,
}

/// What one alert pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AlertPass {
    pub raised: usize,
    pub sent: usize,
    pub failed: usize,
}

fn view_of(c: &AlertChannel) -> ChannelView {
    let target = Target::parse(&c.kind, &c.target)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| c.target.clone());
    ChannelView {
        id: c.id,
        kind: c.kind.clone(),
        target,
        created_by: c.created_by.clone(),
        created_at: c.created_at,
        last_sent_at: c.last_sent_at,
        last_error: c.last_error.clone(),
        last_error_at: c.last_error_at,
    }
}

/// One message for a batch of alerts.
fn digest(alerts: &[AlertRow], link: &str) -> Message {
    let items: Vec<Item> = alerts
        .iter()
        .map(|a| Item {
            domain: a.domain.clone(),
            kind: a.kind.clone(),
            title: AlertKind::title_of(&a.kind),
            detail: a.detail.clone(),
            at: a.created_at,
        })
        .collect();
    let subject = match items.as_slice() {
        [one] => format!("Portcullis: {} on {}", one.title, one.domain),
        many => {
            let mut domains: Vec<&str> = Vec::new();
            for i in many {
                if !domains.contains(&i.domain.as_str()) {
                    domains.push(i.domain.as_str());
                }
            }
            let shown = domains.iter().take(3).copied().collect::<Vec<_>>().join(", ");
            let more = if domains.len() > 3 { ", …" } else { "" };
            format!("Portcullis: {} alerts ({shown}{more})", many.len())
        }
    };
    Message {
        subject,
        intro: format!("{} new alert(s) for your domains.", items.len()),
        items,
        link: link.to_string(),
        test: false,
    }
}

/// True when the latest check (made after the change) shows the `_mta-sts` record without the
/// current id.
pub(crate) fn id_is_stale(findings: &[Finding]) -> bool {
    findings.iter().any(|f| {
        f.code == FindingCode::StsRecordIdMismatch.as_str() || f.code == FindingCode::StsRecordMissing.as_str()
    })
}

impl Services {
    /// Delivers alerts with `notifier`; messages link to `link` (may be empty).
    pub fn with_notifier(mut self, notifier: Arc<Notifier>, link: String) -> Self {
        self.alerts = Some(AlertDelivery { notifier, link });
        self
    }

    /// The organisation's channels and latest alerts.
    pub async fn alert_settings(&self, access: &OrgAccess) -> Result<AlertSettings, ServiceError> {
        let channels = self.store.alert_channels(access).await?;
        Ok(AlertSettings {
            channels: channels.iter().map(view_of).collect(),
            recent: self.store.recent_alerts(access, 50).await?,
            can_email: self.alerts.as_ref().is_some_and(|a| a.notifier.can_email()),
            delivering: self.alerts.is_some(),
        })
    }

    /// Adds a channel (owners). E-mail needs the server's SMTP relay.
    pub async fn add_alert_channel(
        &self,
        access: &OrgAccess,
        kind: &str,
        target: &str,
        actor: &str,
    ) -> Result<ChannelView, ServiceError> {
        if !access.role().allows(Role::Owner) {
            return Err(ServiceError::Forbidden);
        }
        let target = Target::parse(kind.trim(), target).map_err(|e| ServiceError::invalid("target", e.0))?;
        if matches!(target, Target::Email(_)) && !self.alerts.as_ref().is_some_and(|a| a.notifier.can_email()) {
            return Err(ServiceError::invalid(
                "kind",
                "e-mail alerts need an SMTP relay: the administrator sets PORTCULLIS_ALERT_SMTP_URL",
            ));
        }
        let row = self
            .store
            .add_alert_channel(access, target.kind(), &target.value(), actor, portcullis_store::now())
            .await?;
        Ok(view_of(&row))
    }

    pub async fn delete_alert_channel(&self, access: &OrgAccess, id: i64) -> Result<(), ServiceError> {
        if !access.role().allows(Role::Owner) {
            return Err(ServiceError::Forbidden);
        }
        Ok(self.store.delete_alert_channel(access, id).await?)
    }

    /// Sends a test message to one channel now; the outcome is recorded on the channel.
    pub async fn test_alert_channel(&self, access: &OrgAccess, id: i64) -> Result<ChannelView, ServiceError> {
        if !access.role().allows(Role::Owner) {
            return Err(ServiceError::Forbidden);
        }
        let delivery = self.delivery()?;
        let channel = self.store.alert_channel(access, id).await?;
        let target = Target::parse(&channel.kind, &channel.target).map_err(|e| ServiceError::invalid("target", e.0))?;
        let message = Message {
            subject: "Portcullis: test alert".into(),
            intro: format!(
                "This is a test of the {} alert channel of {}. Real alerts look like this.",
                channel.kind,
                access.org_name()
            ),
            items: vec![Item {
                domain: "example.com".into(),
                kind: AlertKind::MxDrift.as_str().into(),
                title: AlertKind::MxDrift.title().into(),
                detail: "(test) MX not covered by the enforced policy: mx3.example.com".into(),
                at: portcullis_store::now(),
            }],
            link: delivery.link.clone(),
            test: true,
        };
        let now = portcullis_store::now();
        match delivery.notifier.send(&target, &message).await {
            Ok(()) => {
                self.store
                    .alert_channel_sent(channel.id, channel.sent_through, now)
                    .await?;
            }
            Err(e) => {
                self.store.alert_channel_failed(channel.id, &e.to_string(), now).await?;
                return Err(ServiceError::Unavailable(format!(
                    "The test message was not delivered: {e}"
                )));
            }
        }
        Ok(view_of(&self.store.alert_channel(access, id).await?))
    }

    fn delivery(&self) -> Result<&AlertDelivery, ServiceError> {
        self.alerts
            .as_ref()
            .ok_or_else(|| ServiceError::Unavailable("alert delivery is off on this server".into()))
    }

    /// Raises what the periodic rules find, then delivers every channel's pending alerts. A
    /// rule that fails is logged and the others still run: one organisation's odd data must not
    /// silence every other organisation's alerts.
    pub async fn alert_pass(&self, now: i64) -> Result<AlertPass, ServiceError> {
        let raised = self.scan_alerts(now).await?;
        let (sent, failed) = self.dispatch_alerts(now).await?;
        Ok(AlertPass { raised, sent, failed })
    }

    /// The periodic rules: certificates expiring or failing to renew, failure rates above the
    /// gate's threshold, `_mta-sts` ids not updated a day after a change, and senders or whole
    /// domains whose reports stopped (`silence`). Each rule runs
    /// on its own; a failing one is logged and counted as raising nothing.
    pub async fn scan_alerts(&self, now: i64) -> Result<usize, ServiceError> {
        let mut raised = 0;
        for (rule, result) in [
            ("certificates", self.scan_certificates(now).await),
            ("failure rate", self.scan_failure_rates(now).await),
            ("stale DNS id", self.scan_stale_ids(now).await),
            ("report silence", self.scan_silences(now).await),
        ] {
            match result {
                Ok(n) => raised += n,
                Err(e) => tracing::error!(rule, error = %e, "an alert rule failed; the others ran"),
            }
        }
        Ok(raised)
    }

    async fn scan_certificates(&self, now: i64) -> Result<usize, ServiceError> {
        let mut raised = 0;
        for c in self.store.cert_watch().await? {
            if let Some(t) = c.not_after.filter(|t| *t < now + CERT_ALERT_DAYS * 86_400) {
                let detail = if t <= now {
                    format!("The certificate for {} expired on {}.", c.name, day(t))
                } else {
                    format!(
                        "The certificate for {} expires on {} ({} days).",
                        c.name,
                        day(t),
                        (t - now) / 86_400
                    )
                };
                raised += self.raise(&c.domain, AlertKind::CertExpiring, &detail, now).await as usize;
            }
            if c.failures > 0 {
                let detail = format!(
                    "Obtaining the certificate for {} failed {} time(s): {}",
                    c.name,
                    c.failures,
                    c.last_error.as_deref().unwrap_or("no detail")
                );
                raised += self.raise(&c.domain, AlertKind::RenewalFailed, &detail, now).await as usize;
            }
        }
        Ok(raised)
    }

    async fn scan_failure_rates(&self, now: i64) -> Result<usize, ServiceError> {
        let mut raised = 0;
        let today = now.div_euclid(86_400) * 86_400;
        let from = today - (FAILURE_RATE_DAYS - 1) * 86_400;
        for w in self.store.rate_watch(from, today + 86_400).await? {
            // Sums of sender-supplied counts: saturate rather than overflow.
            let sessions = w.successful.saturating_add(w.failed);
            let mut relevant: Vec<(String, i64)> = w
                .failed_by_result
                .into_iter()
                .filter(|(t, n)| *n > 0 && is_sts_relevant(t))
                .collect();
            let failed: i64 = relevant.iter().fold(0i64, |sum, (_, n)| sum.saturating_add(*n));
            if sessions == 0 || (failed as f64 / sessions as f64) <= self.gate.max_failure_rate {
                continue;
            }
            relevant.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let detail = format!(
                "{:.2} % of {sessions} sessions in the last {FAILURE_RATE_DAYS} days failed for MTA-STS-relevant reasons ({failed}; threshold {} %): {}",
                failed as f64 * 100.0 / sessions as f64,
                self.gate.max_failure_rate * 100.0,
                relevant.iter().map(|(t, n)| format!("{t} {n}")).collect::<Vec<_>>().join(", ")
            );
            raised += self.raise(&w.domain, AlertKind::FailureRate, &detail, now).await as usize;
        }
        Ok(raised)
    }

    async fn scan_stale_ids(&self, now: i64) -> Result<usize, ServiceError> {
        let mut raised = 0;
        for w in self.store.id_watch(now - STALE_ID_HOURS * 3600).await? {
            let (Some(checked_at), Some(findings)) = (w.checked_at, w.findings.as_deref()) else {
                continue;
            };
            let findings: Vec<Finding> = serde_json::from_str(findings).unwrap_or_default();
            if checked_at > w.changed_at && id_is_stale(&findings) {
                let detail = format!(
                    "The policy changed on {} (id {}), but the last check ({}) did not find _mta-sts.{} TXT \"v=STSv1; id={}\": senders keep their cached policy until the record is updated.",
                    day(w.changed_at),
                    w.policy_id,
                    day(checked_at),
                    w.domain,
                    w.policy_id
                );
                raised += self.raise(&w.domain, AlertKind::DnsIdStale, &detail, now).await as usize;
            }
        }
        Ok(raised)
    }

    /// Whether a new alert was raised; a failure to store it is logged, and the rule goes on
    /// with the next domain.
    pub(crate) async fn raise(&self, domain: &str, kind: AlertKind, detail: &str, now: i64) -> bool {
        match self.store.raise_alert(domain, kind.as_str(), detail, now).await {
            Ok(raised) => {
                if raised {
                    tracing::info!(domain, kind = kind.as_str(), "alert raised");
                }
                raised
            }
            Err(e) => {
                tracing::error!(domain, kind = kind.as_str(), error = %e, "an alert could not be stored");
                false
            }
        }
    }

    /// Sends each channel one message with its pending alerts; a failed channel keeps them and
    /// is retried after [`RETRY_AFTER_SECS`]. Returns (messages sent, deliveries failed).
    pub async fn dispatch_alerts(&self, now: i64) -> Result<(usize, usize), ServiceError> {
        let Some(delivery) = &self.alerts else {
            return Ok((0, 0));
        };
        let (mut sent, mut failed) = (0, 0);
        for channel in self.store.channels_with_pending().await? {
            if channel.last_error_at.is_some_and(|t| now - t < RETRY_AFTER_SECS) {
                continue;
            }
            // One channel's storage error is logged; the other channels still get theirs.
            match self.dispatch_channel(delivery, &channel, now).await {
                Ok(Some(true)) => sent += 1,
                Ok(Some(false)) => failed += 1,
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(channel = channel.id, error = %e, "alert dispatch failed for a channel");
                    failed += 1;
                }
            }
        }
        Ok((sent, failed))
    }

    /// `Some(delivered)`, or `None` when the channel had nothing pending.
    async fn dispatch_channel(
        &self,
        delivery: &AlertDelivery,
        channel: &AlertChannel,
        now: i64,
    ) -> Result<Option<bool>, ServiceError> {
        let pending = self.store.pending_alerts(channel, 200).await?;
        let Some(through) = pending.last().map(|a| a.id) else {
            return Ok(None);
        };
        let target = match Target::parse(&channel.kind, &channel.target) {
            Ok(t) => t,
            Err(e) => {
                self.store.alert_channel_failed(channel.id, &e.0, now).await?;
                return Ok(Some(false));
            }
        };
        match delivery.notifier.send(&target, &digest(&pending, &delivery.link)).await {
            Ok(()) => {
                self.store.alert_channel_sent(channel.id, through, now).await?;
                Ok(Some(true))
            }
            Err(e) => {
                tracing::warn!(channel = channel.id, kind = %channel.kind, error = %e, "alert not delivered; retrying later");
                self.store.alert_channel_failed(channel.id, &e.to_string(), now).await?;
                Ok(Some(false))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(domain: &str, kind: &str) -> AlertRow {
        AlertRow {
            id: 1,
            domain: domain.into(),
            kind: kind.into(),
            detail: "d".into(),
            created_at: 0,
        }
    }

    #[test]
    fn digest_subjects() {
        let one = digest(&[alert("a.example", "mx_drift")], "");
        assert_eq!(one.subject, "Portcullis: MX drift on a.example");
        let many = digest(
            &[
                alert("a.example", "mx_drift"),
                alert("a.example", "dns_error"),
                alert("b.example", "cert_expiring"),
                alert("c.example", "failure_rate"),
                alert("d.example", "dns_id_stale"),
            ],
            "https://p.example/alerts",
        );
        assert_eq!(
            many.subject,
            "Portcullis: 5 alerts (a.example, b.example, c.example, …)"
        );
        assert_eq!(many.items.len(), 5);
        assert_eq!(many.items[1].title, "DNS error");
    }
}
