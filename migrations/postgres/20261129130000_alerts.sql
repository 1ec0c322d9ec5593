-- Alerts: one row per domain, kind and UTC day at most (the unique key is the digest: a
-- condition that persists or repeats within a day is not sent again). Kinds: dns_error,
-- mx_drift, cert_expiring, renewal_failed, failure_rate, dns_id_stale.
CREATE TABLE alerts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    domain_id   BIGINT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    domain      TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    day         TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (domain_id, kind, day)
);
CREATE INDEX alerts_org ON alerts(org_id, id);

-- Where an organisation's alerts go. Each channel remembers the last alert it was sent
-- (sent_through), so a failing channel catches up without re-sending to the others.
CREATE TABLE alert_channels (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    -- email | webhook | slack
    kind          TEXT    NOT NULL,
    target        TEXT    NOT NULL,
    created_by    TEXT    NOT NULL,
    created_at    BIGINT NOT NULL,
    sent_through  BIGINT NOT NULL,
    last_sent_at  BIGINT,
    last_error    TEXT,
    last_error_at BIGINT,
    UNIQUE (org_id, kind, target)
);
