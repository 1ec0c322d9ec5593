-- Push mode: per organisation, the primary DNS server its domains' _mta-sts TXT records are
-- pushed to (RFC 2136, TSIG). The TSIG secret is sealed with the server's secret key
-- (ChaCha20-Poly1305, bound to the organisation): the database alone does not reveal it.
CREATE TABLE dns_push_settings (
    org_id        INTEGER NOT NULL PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
    server        TEXT    NOT NULL,
    key_name      TEXT    NOT NULL,
    algorithm     TEXT    NOT NULL,
    secret_sealed TEXT    NOT NULL,
    updated_by    TEXT    NOT NULL,
    updated_at    INTEGER NOT NULL
);
-- The last push per domain: which id, when, and why it failed (NULL when it worked).
ALTER TABLE domains ADD COLUMN pushed_id TEXT;
ALTER TABLE domains ADD COLUMN pushed_at INTEGER;
ALTER TABLE domains ADD COLUMN push_error TEXT;

-- Claims: another organisation asking for a name registered but never proven. The claimant
-- proves control with a token of its own; the unproven registration is then released to it.
CREATE TABLE domain_claims (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    org_id      INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    proof_token TEXT    NOT NULL UNIQUE,
    created_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (name, org_id)
);

-- What an organisation must be told about that no longer has a domain to hang on (a registration
-- released to a claimant): shown on its dashboard.
CREATE TABLE org_notices (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    detail     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX org_notices_org ON org_notices (org_id, id);
