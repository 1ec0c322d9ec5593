-- State that used to live in one process's memory and must be shared by every instance on the
-- database: a redirect may land on another instance, and a client may spread its attempts.

-- One-time messages shown on the next page of a session (notices, and the secrets shown once:
-- new API tokens, invitation links). Sealed with a key derived from the session token, which
-- the database never holds, so a database reader cannot open them. Kept ten minutes at most.
CREATE TABLE flash_messages (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_hash TEXT   NOT NULL,
    sealed       TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX flash_messages_session ON flash_messages (session_hash);

-- Attempts counted per key in a fixed window: sign-in failures per account and per address,
-- reports per sending address. Rows whose window is over are purged.
CREATE TABLE rate_counters (
    key          TEXT   PRIMARY KEY,
    window_start BIGINT NOT NULL,
    attempts     BIGINT NOT NULL
);
