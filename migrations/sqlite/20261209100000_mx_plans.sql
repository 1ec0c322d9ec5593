-- MX migration plans: hosts to add and to retire (newline-separated, validated host names). A
-- domain has at most one open plan; a closed one keeps how it ended ('completed' or
-- 'cancelled'). The steps' progress is not stored: it is read from the policy versions, the DNS
-- checks and the reports each time.
CREATE TABLE mx_plans (
    id          INTEGER PRIMARY KEY,
    domain_id   INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    add_hosts   TEXT    NOT NULL,
    retire_hosts TEXT   NOT NULL,
    created_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    closed_at   INTEGER,
    closed_by   TEXT,
    outcome     TEXT
);
CREATE UNIQUE INDEX mx_plans_open ON mx_plans(domain_id) WHERE closed_at IS NULL;
