-- Certificates for this server's own names (the public host: its `/tlsrpt` over HTTPS and
-- STARTTLS for report mail), obtained by ACME like the `mta-sts.` ones but tied to no domain.
CREATE TABLE host_certificates (
    name            TEXT    PRIMARY KEY,
    cert_pem        TEXT,
    key_pem         TEXT,
    issued_at       BIGINT,
    not_after       BIGINT,
    last_error      TEXT,
    last_attempt_at BIGINT,
    next_attempt_at BIGINT  NOT NULL DEFAULT 0,
    failures        BIGINT  NOT NULL DEFAULT 0
);
