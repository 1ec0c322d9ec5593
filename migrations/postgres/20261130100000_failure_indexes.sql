-- A report's detail page reaches its failures through its policies (`tlsrpt_policies_report`,
-- then `tlsrpt_failures_policy`): one index fewer to keep up for every stored failure row.
-- (SQLite's sending-IP index, from the same change, is not needed here: PostgreSQL hashes a
-- period's rows from its period index instead of sorting them.)
DROP INDEX tlsrpt_failures_report;
