//! The policies senders applied: a domain's `sts` policy blocks over a period, summed per
//! sending organisation, policy string and day, for the sender policy tracker.

use portcullis_domain::tlsrpt::AppliedDay;
use portcullis_domain::{DomainName, Role};

use crate::{OrgAccess, Store, StoreError};

/// Organisation, policy string (JSON), day, sessions, first start, last end, last received.
type AppliedRow = (String, String, i64, i64, i64, i64, i64);

const APPLIED: &str = "SELECT r.organization_name, p.policy_string, CAST(p.start_at / 86400 AS BIGINT) AS day, \
    CAST(SUM(p.successful + p.failed) AS BIGINT), CAST(MIN(r.start_at) AS BIGINT), \
    CAST(MAX(r.end_at) AS BIGINT), CAST(MAX(r.received_at) AS BIGINT) \
    FROM tlsrpt_policies p JOIN tlsrpt_reports r ON r.id = p.report_row \
    WHERE p.domain_id = $1 AND p.start_at >= $2 AND p.start_at < $3 AND p.policy_type = 'sts' \
    GROUP BY r.organization_name, p.policy_string, day";

impl Store {
    /// The domain's `sts` policy blocks whose report period starts in `[from, to)`, one row per
    /// sending organisation, policy string and UTC day.
    pub async fn tlsrpt_applied_policies(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
        from: i64,
        to: i64,
    ) -> Result<Vec<AppliedDay>, StoreError> {
        access.require(Role::Viewer)?;
        let id = self.domain_id_in(access, domain).await?;
        let rows: Vec<AppliedRow> = self.period_rows(APPLIED, id, from, to).await?;
        rows.into_iter()
            .map(
                |(organization, policy_string, day, sessions, first_start, last_end, last_received)| {
                    Ok(AppliedDay {
                        organization,
                        policy_string: serde_json::from_str(&policy_string)
                            .map_err(|e| StoreError::Invalid(format!("policy_string: {e}")))?,
                        day,
                        sessions,
                        first_start,
                        last_end,
                        last_received,
                    })
                },
            )
            .collect()
    }
}
