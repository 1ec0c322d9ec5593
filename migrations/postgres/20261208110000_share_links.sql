-- Read-only share links: an owner gives a client a link to one domain, or to every domain of the
-- organisation (domain_id NULL). Only the token's hash is kept (the link is shown once). A link
-- opens nothing after expires_at or once revoked (kept, with revoked_at, for the owners' list).
CREATE TABLE share_links (
    id          BIGSERIAL PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    domain_id   BIGINT REFERENCES domains(id) ON DELETE CASCADE,
    token_hash  TEXT    NOT NULL UNIQUE,
    label       TEXT    NOT NULL,
    created_by  TEXT    NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX share_links_org ON share_links(org_id, id);
