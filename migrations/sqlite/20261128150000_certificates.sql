-- Certificates for mta-sts.<domain>, obtained by ACME. One row per name, kept through failures
-- so the dashboard can say when the last attempt failed and when the next one is due.
CREATE TABLE certificates (
    name            TEXT    PRIMARY KEY,
    domain_id       INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    cert_pem        TEXT,
    key_pem         TEXT,
    issued_at       INTEGER,
    not_after       INTEGER,
    last_error      TEXT,
    last_attempt_at INTEGER,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    failures        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX certificates_domain ON certificates(domain_id);

-- One ACME account per directory URL (credentials as instant-acme serialises them).
CREATE TABLE acme_accounts (
    directory   TEXT    PRIMARY KEY,
    credentials TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
