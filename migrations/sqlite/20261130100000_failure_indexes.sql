-- The sending-IP view, SQLite only. Grouping a period's failure details by sending IP from the
-- period index meant sorting them in a temporary B-tree: over a year of a busy domain, most of
-- the page's time (measured by `make bench-views`). With the IP first, the view walks the
-- domain's distinct IPs and sums each one's period range, with no sort and no row outside the
-- period read (the SQL: `Aggregate::sql` in the store). It replaces the period index, so ingest
-- keeps the same number of indexes to maintain (`make bench-ingest`). The readiness window
-- still narrows to the domain through it. PostgreSQL hashes a period's rows rather than
-- sorting them, and keeps its period index.
CREATE INDEX tlsrpt_failures_ip ON tlsrpt_failures(domain_id, sending_ip, start_at, failed);
DROP INDEX tlsrpt_failures_period;

-- A report's detail page reaches its failures through its policies (`tlsrpt_policies_report`,
-- then `tlsrpt_failures_policy`): one index fewer to keep up for every stored failure row.
DROP INDEX tlsrpt_failures_report;
