//! Silent senders and broken report paths: the alert rule over every domain, and each domain's
//! reporting as its page shows it (see `portcullis_domain::tlsrpt::reporting` for the rhythm).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use portcullis_domain::tlsrpt::{reporting, rhythm_words, Reporting, LEARN_DAYS};
use portcullis_domain::AlertKind;
use portcullis_store::{utc_day, OrgAccess};
use serde::{Deserialize, Serialize};

use crate::policies::name_of;
use crate::{ServiceError, Services};

/// A silence is noticed while its first missed day is at most this many days old; an older one
/// was noticed already, or began before this server watched.
pub const SILENCE_NOTICED_DAYS: i64 = 30;
/// Days of reports read: the noticing window, a week to the last report before it, and the four
/// weeks its rhythm is learned from.
const READ_DAYS: i64 = SILENCE_NOTICED_DAYS + 7 + LEARN_DAYS + 1;

/// One sender as the domain page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderReporting {
    pub reporting: Reporting,
    /// When its latest report arrived.
    pub last_received: i64,
}

/// Who reports a domain, and whether reports still arrive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportingStatus {
    /// Senders with a report in the last weeks, most recent report first.
    pub senders: Vec<SenderReporting>,
    /// The domain as a whole; `None` without reports in the last weeks.
    pub domain: Option<Reporting>,
}

fn days_words(days: &[i64]) -> String {
    let names: Vec<String> = days.iter().map(|d| utc_day(d * 86_400)).collect();
    match names.len() {
        0 => String::new(),
        1 => names[0].clone(),
        n => format!("{} and {}", names[..n - 1].join(", "), names[n - 1]),
    }
}

fn sender_detail(reporting: &[&Reporting]) -> String {
    let each: Vec<String> = reporting
        .iter()
        .map(|r| {
            format!(
                "{} usually reports {} but sent nothing for {} (its last report covers {})",
                r.organization.as_deref().unwrap_or("?"),
                rhythm_words(&r.expected_weekdays),
                days_words(&r.missed),
                utc_day(r.last_day * 86_400)
            )
        })
        .collect();
    format!(
        "{}. A sender that stops reporting may have stopped sending you mail, or can no longer deliver its reports to the rua address.",
        each.join("; ")
    )
}

fn domain_detail(r: &Reporting) -> String {
    format!(
        "No report has arrived for {}, although reports usually come {}; the last covers {}. Check the rua address in the _smtp._tls record, and the mailbox or HTTPS endpoint it names.",
        days_words(&r.missed),
        rhythm_words(&r.expected_weekdays),
        utc_day(r.last_day * 86_400)
    )
}

impl Services {
    /// The rule: every domain's senders that went silent, and domains whose reports stopped,
    /// each episode alerted once (recorded with its alert). Returns alerts raised.
    pub(crate) async fn scan_silences(&self, now: i64) -> Result<usize, ServiceError> {
        let today = now.div_euclid(86_400);
        let rows = self.store.report_days((today - READ_DAYS) * 86_400).await?;
        let mut by_domain: HashMap<i64, (String, BTreeMap<String, BTreeSet<i64>>)> = HashMap::new();
        for r in rows {
            by_domain
                .entry(r.domain_id)
                .or_insert_with(|| (r.domain, BTreeMap::new()))
                .1
                .entry(r.organization)
                .or_default()
                .insert(r.day);
        }
        let recent = |r: &&Reporting| r.silent_since.is_some_and(|d| d >= today - SILENCE_NOTICED_DAYS);
        let mut raised = 0;
        for (domain_id, (domain, by_sender)) in by_domain {
            let (senders, whole) = reporting(&by_sender, today);
            let silent: Vec<&Reporting> = senders.iter().filter(recent).collect();
            let keys = |list: &[&Reporting]| -> Vec<(String, i64)> {
                list.iter()
                    .filter_map(|r| Some((r.organization.clone().unwrap_or_default(), r.silent_since?)))
                    .collect()
            };
            let found = self
                .store
                .notice_silences(
                    domain_id,
                    AlertKind::SenderSilent.as_str(),
                    &keys(&silent),
                    |new| {
                        let fresh: Vec<&Reporting> = silent
                            .iter()
                            .copied()
                            .filter(|r| new.iter().any(|(o, _)| Some(o) == r.organization.as_ref()))
                            .collect();
                        sender_detail(&fresh)
                    },
                    now,
                )
                .await;
            raised += self.noticed(&domain, AlertKind::SenderSilent, found);
            if let Some(whole) = whole.as_ref().filter(recent) {
                let found = self
                    .store
                    .notice_silences(
                        domain_id,
                        AlertKind::ReportsStopped.as_str(),
                        &keys(&[whole]),
                        |_| domain_detail(whole),
                        now,
                    )
                    .await;
                raised += self.noticed(&domain, AlertKind::ReportsStopped, found);
            }
        }
        Ok(raised)
    }

    /// 1 when an alert was raised; a storage error is logged and the rule goes on.
    fn noticed(
        &self,
        domain: &str,
        kind: AlertKind,
        found: Result<Vec<(String, i64)>, portcullis_store::StoreError>,
    ) -> usize {
        match found {
            Ok(new) if !new.is_empty() => {
                tracing::info!(domain, kind = kind.as_str(), silences = new.len(), "alert raised");
                1
            }
            Ok(_) => 0,
            Err(e) => {
                tracing::error!(domain, kind = kind.as_str(), error = %e, "a silence could not be recorded");
                0
            }
        }
    }

    /// Who reports the domain, each sender's rhythm and last report, and whether reports still
    /// arrive, as of now.
    pub async fn reporting_status(&self, access: &OrgAccess, raw: &str) -> Result<ReportingStatus, ServiceError> {
        let domain = name_of(raw)?;
        let today = portcullis_store::now().div_euclid(86_400);
        let rows = self
            .store
            .domain_report_days(access, &domain, (today - READ_DAYS) * 86_400)
            .await?;
        let mut by_sender: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
        let mut received: HashMap<String, i64> = HashMap::new();
        for (organization, day, at) in rows {
            let latest = received.entry(organization.clone()).or_insert(at);
            *latest = (*latest).max(at);
            by_sender.entry(organization).or_default().insert(day);
        }
        let (senders, domain) = reporting(&by_sender, today);
        let mut senders: Vec<SenderReporting> = senders
            .into_iter()
            .map(|r| SenderReporting {
                last_received: r
                    .organization
                    .as_ref()
                    .and_then(|o| received.get(o))
                    .copied()
                    .unwrap_or(0),
                reporting: r,
            })
            .collect();
        senders.sort_by(|a, b| {
            b.reporting
                .last_day
                .cmp(&a.reporting.last_day)
                .then_with(|| a.reporting.organization.cmp(&b.reporting.organization))
        });
        Ok(ReportingStatus { senders, domain })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_in_words() {
        assert_eq!(days_words(&[20_769, 20_770]), "2026-11-12 and 2026-11-13");
    }
}
