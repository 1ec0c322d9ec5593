-- Certificates for mta-sts.<domain>, obtained by ACME. One row per name, kept through failures
-- so the dashboard can say when the last attempt failed and when the next one is due.
CREATE TABLE certificates (
    name            TEXT    PRIMARY KEY,
    domain_id       BIGINT  NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    cert_pem        TEXT,
    key_pem         TEXT,
    issued_at       BIGINT,
    not_after       BIGINT,
    last_error      TEXT,
    last_attempt_at BIGINT,
    next_attempt_at BIGINT  NOT NULL DEFAULT 0,
    failures        BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX certificates_domain ON certificates(domain_id);

-- One ACME account per directory URL (credentials as instant-acme serialises them).
CREATE TABLE acme_accounts (
    directory   TEXT    PRIMARY KEY,
    credentials TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);
