-- Invitations to an organisation: an owner names an address and a role, and only whoever holds
-- the address joins, by a single-use link (its token kept as a SHA-256 hash). Nobody else can
-- create an account for that address or link an existing one.
CREATE TABLE invitations (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    email       TEXT    NOT NULL,
    role        TEXT    NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
    token_hash  TEXT    NOT NULL UNIQUE,
    invited_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    accepted_at INTEGER
);
CREATE INDEX invitations_org ON invitations(org_id, email);
