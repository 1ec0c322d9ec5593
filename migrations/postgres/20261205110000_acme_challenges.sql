-- Pending ACME http-01 answers, so that whichever instance the CA's validation request reaches
-- can answer it. Rows live for the few minutes an order takes; expired ones are never served.
CREATE TABLE acme_challenges (
    token             TEXT   PRIMARY KEY,
    key_authorization TEXT   NOT NULL,
    expires_at        BIGINT NOT NULL
);
