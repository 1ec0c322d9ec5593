-- Failed sessions per domain, UTC day, result type and receiving MX: what the result-type, MX
-- and daily-result views sum, a few dozen rows per domain and day instead of every failure
-- detail. The ingest transaction adds a new report's failures here in the same commit; a
-- re-sent report is refused before that (the reports' unique key), and a late report adds to
-- its own day, so the sums stay exact. Rows go with their domain.
CREATE TABLE tlsrpt_failure_days (
    domain_id    BIGINT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    -- The report period's first second, rounded down to its UTC midnight.
    day_at       BIGINT NOT NULL,
    result_type  TEXT   NOT NULL,
    -- '' where the detail names no receiving MX (a key column cannot be NULL and still match).
    receiving_mx TEXT   NOT NULL,
    failed       BIGINT NOT NULL,
    PRIMARY KEY (domain_id, day_at, result_type, receiving_mx)
);

INSERT INTO tlsrpt_failure_days (domain_id, day_at, result_type, receiving_mx, failed)
SELECT domain_id, start_at - (((start_at % 86400) + 86400) % 86400), result_type,
       COALESCE(receiving_mx, ''), SUM(failed)
FROM tlsrpt_failures
GROUP BY 1, 2, 3, 4;

-- Only the sending-IP view still reads the failure details by period: a narrower index for it.
DROP INDEX tlsrpt_failures_period;
CREATE INDEX tlsrpt_failures_period ON tlsrpt_failures(domain_id, start_at) INCLUDE (sending_ip, failed);
