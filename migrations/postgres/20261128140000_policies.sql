-- Every version of every domain's MTA-STS policy. The newest row per domain is the one served;
-- older rows are history (who, when, what changed) and are never updated.
CREATE TABLE policy_versions (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain_id  BIGINT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    policy_id  TEXT   NOT NULL,
    mode       TEXT   NOT NULL CHECK (mode IN ('none', 'testing', 'enforce')),
    max_age    BIGINT NOT NULL,
    body       TEXT   NOT NULL,
    author     TEXT   NOT NULL,
    note       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (domain_id, policy_id)
);
CREATE INDEX policy_versions_domain ON policy_versions(domain_id, id);
