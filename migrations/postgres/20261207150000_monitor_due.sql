-- When the DNS monitor next checks each domain, kept on the domain and indexed, so a claim reads
-- only the batch it takes instead of every domain's last check. 0 means never checked (due
-- first). Set by the monitor after each check (last check + interval, less the domain's spread);
-- existing domains fall due one default interval (6 h) after their last check, and a shorter
-- configured interval brings them forward at the next pass.
ALTER TABLE domains ADD COLUMN monitor_due_at BIGINT NOT NULL DEFAULT 0;
UPDATE domains SET monitor_due_at = COALESCE(
    (SELECT MAX(c.checked_at) + 21600 FROM dns_checks c WHERE c.domain_id = domains.id), 0);
CREATE INDEX domains_monitor_due ON domains (monitor_due_at);
