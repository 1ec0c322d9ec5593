-- How each report arrived, and whether its origin is authenticated. `arrival` is for people
-- ("HTTPS from 192.0.2.9 over TLSv1.3 …", "mail via SMTP from …, DKIM pass d=google.com");
-- `source` is what the enforce gate counts distinct sources by: "dkim:<d=>" for a verified DKIM
-- signature, "ip:<address>" for a sender's network address, "mailbox", "upload" or "import".
-- `content_hash` (SHA-256 of the parsed report) tells a differing re-send from a duplicate.
-- Reports stored before this migration have none of them.
ALTER TABLE tlsrpt_reports ADD COLUMN arrival TEXT;
ALTER TABLE tlsrpt_reports ADD COLUMN source TEXT;
ALTER TABLE tlsrpt_reports ADD COLUMN dkim_domain TEXT;
ALTER TABLE tlsrpt_reports ADD COLUMN content_hash TEXT;

-- A re-send of a stored (domain, organisation, report-id) whose content differs: kept aside,
-- never merged, and flagged on the stored report (the first one may have been forged).
CREATE TABLE tlsrpt_report_resends (
    id                BIGSERIAL PRIMARY KEY,
    domain_id         BIGINT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    organization_name TEXT    NOT NULL,
    report_id         TEXT    NOT NULL,
    content_hash      TEXT    NOT NULL,
    channel           TEXT    NOT NULL,
    arrival           TEXT,
    source            TEXT,
    dkim_domain       TEXT,
    received_at       BIGINT NOT NULL,
    raw_gzip          BYTEA   NOT NULL,
    UNIQUE (domain_id, organization_name, report_id, content_hash)
);
