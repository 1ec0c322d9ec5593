//! What the cross-domain patterns read: failed sessions of one organisation's domains over a
//! period, per sending organisation, per sending IP, and per receiving MX and result type.

use portcullis_domain::tlsrpt::{PatternKind, PatternRow};
use portcullis_domain::Role;

use crate::{OrgAccess, Store, StoreError};

/// Sending organisation, domain, failed: from the reports' summaries (the failure details do
/// not keep the organisation).
const BY_ORGANIZATION: &str = "SELECT r.organization_name, d.name, CAST(SUM(r.failed) AS BIGINT) \
    FROM tlsrpt_reports r JOIN domains d ON d.id = r.domain_id \
    WHERE d.org_id = $1 AND r.start_at >= $2 AND r.start_at < $3 AND r.failed > 0 \
    GROUP BY r.organization_name, d.name";

/// Sending IP, domain, failed.
const BY_SENDING_IP: &str = "SELECT f.sending_ip, d.name, CAST(SUM(f.failed) AS BIGINT) \
    FROM tlsrpt_failures f JOIN domains d ON d.id = f.domain_id \
    WHERE d.org_id = $1 AND f.start_at >= $2 AND f.start_at < $3 AND f.sending_ip IS NOT NULL \
    GROUP BY f.sending_ip, d.name";

/// Receiving MX, result type, domain, failed: from the daily rollup.
const BY_RECEIVING_MX: &str = "SELECT fd.receiving_mx, fd.result_type, d.name, CAST(SUM(fd.failed) AS BIGINT) \
    FROM tlsrpt_failure_days fd JOIN domains d ON d.id = fd.domain_id \
    WHERE d.org_id = $1 AND fd.day_at >= $2 AND fd.day_at < $3 AND fd.receiving_mx <> '' \
    GROUP BY fd.receiving_mx, fd.result_type, d.name";

impl Store {
    /// The organisation's failed sessions over `[from, to)` (whole UTC days), per domain and
    /// sending organisation, sending IP, and receiving MX with result type.
    pub async fn tlsrpt_pattern_rows(
        &self,
        access: &OrgAccess,
        from: i64,
        to: i64,
    ) -> Result<Vec<PatternRow>, StoreError> {
        access.require(Role::Viewer)?;
        let org = access.org_id;
        let (organizations, ips, mx) = tokio::try_join!(
            self.period_rows::<(String, String, i64)>(BY_ORGANIZATION, org, from, to),
            self.period_rows::<(String, String, i64)>(BY_SENDING_IP, org, from, to),
            self.period_rows::<(String, String, String, i64)>(BY_RECEIVING_MX, org, from, to),
        )?;
        let keyed = |kind: PatternKind| {
            move |(key, domain, failed): (String, String, i64)| PatternRow {
                kind,
                key,
                domain,
                result_type: None,
                failed,
            }
        };
        let mut rows: Vec<PatternRow> = organizations
            .into_iter()
            .map(keyed(PatternKind::SendingOrganization))
            .chain(ips.into_iter().map(keyed(PatternKind::SendingIp)))
            .collect();
        rows.extend(mx.into_iter().map(|(key, result_type, domain, failed)| PatternRow {
            kind: PatternKind::ReceivingMx,
            key,
            domain,
            result_type: Some(result_type),
            failed,
        }));
        Ok(rows)
    }
}
