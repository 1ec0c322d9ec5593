-- The sending organisation's name is kept once per report (tlsrpt_reports), no longer copied
-- into every failure row: a report of many failure details made that copy its largest part,
-- and a hostile sender's long name multiplied. The readiness window reads it through the
-- failure's report.
ALTER TABLE tlsrpt_failures DROP COLUMN organization_name;
