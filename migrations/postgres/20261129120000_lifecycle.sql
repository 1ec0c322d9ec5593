-- Every mode change of a domain (not configured -> testing -> enforce, back, and removal): who,
-- when, from, to, why, the policy id it produced, and whether an owner overrode a failed
-- readiness gate (with the gate's items at that moment, as JSON).
CREATE TABLE domain_transitions (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain_id   BIGINT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    -- unconfigured | testing | enforce | none
    from_mode   TEXT    NOT NULL,
    to_mode     TEXT    NOT NULL,
    policy_id   TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    overridden  BIGINT NOT NULL,
    gate        TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX domain_transitions_domain ON domain_transitions(domain_id, id);

-- Removal serves "mode: none" until this time (at least the previous max_age, so every sender's
-- cached policy expires), then the policy host stops answering for the domain.
ALTER TABLE domains ADD COLUMN policy_retire_at BIGINT;
