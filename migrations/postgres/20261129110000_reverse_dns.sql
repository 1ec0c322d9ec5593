-- Reverse DNS of the sending MTAs in TLS-RPT failure details, looked up once and kept until
-- expires_at. Shared by every tenant: a PTR record is public, and the cache is only read for
-- addresses in the reader's own reports.
CREATE TABLE reverse_dns (
    ip           TEXT    PRIMARY KEY,
    -- The PTR name, or NULL when the address has none (status none) or the look-up failed.
    name         TEXT,
    -- 1 when the name resolves back to the address.
    confirmed    BIGINT NOT NULL,
    -- found | none | error
    status       TEXT    NOT NULL,
    looked_up_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
