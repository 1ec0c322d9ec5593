-- Periodic jobs that must run once across instances sharing this database (ACME, the DNS
-- monitor, alerts, IMAP polling, purges): the instance holding an unexpired lease runs the job
-- and renews the lease each pass; when it stops renewing, another instance takes over once the
-- lease has expired.
CREATE TABLE job_leases (
    job        TEXT   PRIMARY KEY,
    holder     TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
);
