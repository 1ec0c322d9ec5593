-- The DNS monitor's work, split between the instances sharing this database: an instance claims
-- a batch of due domains (one statement, so two instances never claim the same domain) and
-- checks them; a claim expires after ten minutes, so a domain whose instance died is checked by
-- another. Removed with the domain.
CREATE TABLE monitor_claims (
    domain_id  INTEGER NOT NULL PRIMARY KEY REFERENCES domains(id) ON DELETE CASCADE,
    holder     TEXT    NOT NULL,
    batch      INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX monitor_claims_batch ON monitor_claims (holder, batch);
