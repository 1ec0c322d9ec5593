-- Live DNS check runs: every finding of every run (JSON), newest row per domain is its status.
-- Pruned to the most recent runs per domain by the store.
CREATE TABLE dns_checks (
    id          INTEGER PRIMARY KEY,
    domain_id   INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    checked_at  INTEGER NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('ok', 'warning', 'error')),
    findings    TEXT    NOT NULL,
    origin      TEXT    NOT NULL
);
CREATE INDEX dns_checks_domain ON dns_checks(domain_id, id);

-- What happened to a domain that someone may need to hear about (DNS status changes first;
-- alerts read this table).
CREATE TABLE domain_events (
    id          INTEGER PRIMARY KEY,
    domain_id   INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    old_value   TEXT,
    new_value   TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX domain_events_domain ON domain_events(domain_id, id);
