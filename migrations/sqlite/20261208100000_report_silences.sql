-- Silences: a regular reporter that stopped (organization = its name) or a domain whose
-- reports stopped altogether (organization = ''), one row per episode, keyed by its first missed
-- day. The row and its alert are written in one transaction, so an episode raises its alert
-- once, whichever instance notices it first, however many passes it lasts.
CREATE TABLE report_silences (
    domain_id    INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    organization TEXT    NOT NULL,
    since_day    INTEGER NOT NULL,
    noticed_at   INTEGER NOT NULL,
    PRIMARY KEY (domain_id, organization, since_day)
);
