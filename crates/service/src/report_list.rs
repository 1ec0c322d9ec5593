//! What the dashboard shows of a domain's stored reports until the full views arrive: totals and
//! the most recent reports.

use portcullis_store::{OrgAccess, ReportRow, ReportTotals};

use crate::policies::name_of;
use crate::{ServiceError, Services};

impl Services {
    /// Totals over the domain's reports and the `limit` most recent, newest period first.
    pub async fn recent_reports(
        &self,
        access: &OrgAccess,
        raw: &str,
        limit: i64,
    ) -> Result<(ReportTotals, Vec<ReportRow>), ServiceError> {
        let domain = name_of(raw)?;
        let totals = self.store.tlsrpt_totals(access, &domain).await?;
        let recent = self.store.tlsrpt_reports(access, &domain, limit, 0).await?;
        Ok((totals, recent))
    }
}
