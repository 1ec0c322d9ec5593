-- TLS-RPT reports, one row per (report, registered policy domain): a report covering domains of
-- several organisations is stored once for each, holding only that domain's policies. A re-sent
-- report (same sending organisation and report-id) is stored once per domain.
CREATE TABLE tlsrpt_reports (
    id                INTEGER PRIMARY KEY,
    domain_id         INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    organization_name TEXT    NOT NULL,
    report_id         TEXT    NOT NULL,
    contact_info      TEXT,
    start_at          INTEGER NOT NULL,
    end_at            INTEGER NOT NULL,
    successful        INTEGER NOT NULL,
    failed            INTEGER NOT NULL,
    -- https | smtp | upload | import
    channel           TEXT    NOT NULL,
    -- Who handed it over: the client IP, the mail's TLS-Report-Submitter, the file name.
    submitter         TEXT,
    received_at       INTEGER NOT NULL,
    -- Top-level fields beyond RFC 8460, as a JSON object, or NULL.
    extra             TEXT,
    -- The report's JSON, gzip-compressed, exactly as the sender wrote it.
    raw_gzip          BLOB   NOT NULL,
    UNIQUE (domain_id, organization_name, report_id)
);
CREATE INDEX tlsrpt_reports_domain_start ON tlsrpt_reports(domain_id, start_at);
CREATE INDEX tlsrpt_reports_domain_org ON tlsrpt_reports(domain_id, organization_name);

-- The report's policies for that domain, in report order. domain_id and start_at are copied
-- from the report so the views filter without a join.
CREATE TABLE tlsrpt_policies (
    id            INTEGER PRIMARY KEY,
    report_row    INTEGER NOT NULL REFERENCES tlsrpt_reports(id) ON DELETE CASCADE,
    domain_id     INTEGER NOT NULL,
    start_at      INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    policy_type   TEXT    NOT NULL,
    policy_domain TEXT,
    -- JSON arrays of strings.
    policy_string TEXT    NOT NULL,
    mx_hosts      TEXT    NOT NULL,
    successful    INTEGER NOT NULL,
    failed        INTEGER NOT NULL,
    extra         TEXT
);
CREATE INDEX tlsrpt_policies_report ON tlsrpt_policies(report_row);
CREATE INDEX tlsrpt_policies_domain_start ON tlsrpt_policies(domain_id, start_at);

-- Failure details, with the report's domain, start and sending organisation copied for the views.
CREATE TABLE tlsrpt_failures (
    id                INTEGER PRIMARY KEY,
    policy_row        INTEGER NOT NULL REFERENCES tlsrpt_policies(id) ON DELETE CASCADE,
    report_row        INTEGER NOT NULL,
    domain_id         INTEGER NOT NULL,
    start_at          INTEGER NOT NULL,
    organization_name TEXT    NOT NULL,
    result_type       TEXT    NOT NULL,
    sending_ip        TEXT,
    receiving_mx      TEXT,
    receiving_helo    TEXT,
    receiving_ip      TEXT,
    failed            INTEGER NOT NULL,
    reason_code       TEXT,
    additional_info   TEXT,
    extra             TEXT
);
CREATE INDEX tlsrpt_failures_policy ON tlsrpt_failures(policy_row);
CREATE INDEX tlsrpt_failures_domain_start ON tlsrpt_failures(domain_id, start_at);
CREATE INDEX tlsrpt_failures_domain_result ON tlsrpt_failures(domain_id, result_type, start_at);
CREATE INDEX tlsrpt_failures_domain_ip ON tlsrpt_failures(domain_id, sending_ip);
CREATE INDEX tlsrpt_failures_domain_mx ON tlsrpt_failures(domain_id, receiving_mx);
