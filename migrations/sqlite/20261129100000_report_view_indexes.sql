-- The report views aggregate one domain's period at a time. Each aggregate now reads a single
-- covering index: the (domain, period) range holds every column it sums or groups by, so no
-- table row is visited (measured by `make bench-views`). Indexes, not rollup tables: they stay
-- exact when late or re-sent reports arrive, with nothing to keep in step.
DROP INDEX tlsrpt_reports_domain_start;
CREATE INDEX tlsrpt_reports_period ON tlsrpt_reports(domain_id, start_at, organization_name, successful, failed);

DROP INDEX tlsrpt_failures_domain_start;
DROP INDEX tlsrpt_failures_domain_result;
DROP INDEX tlsrpt_failures_domain_ip;
DROP INDEX tlsrpt_failures_domain_mx;
-- One index for the four failure aggregates: cheaper to keep up at ingest than one each.
CREATE INDEX tlsrpt_failures_period ON tlsrpt_failures(domain_id, start_at, result_type, sending_ip, receiving_mx, failed);
-- A report's detail page lists its failures.
CREATE INDEX tlsrpt_failures_report ON tlsrpt_failures(report_row);
