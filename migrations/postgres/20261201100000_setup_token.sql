-- The one-time token that first-run setup asks for when the dashboard is reachable from other
-- machines: whoever reaches /setup first must also be able to read the server's log or run
-- `portcullis setup-token` on it. One row at most; unused once a user exists.
CREATE TABLE setup_token (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    token      TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);
