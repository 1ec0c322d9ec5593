-- Push through a DNS provider's API besides RFC 2136: which way the organisation pushes. For a
-- provider, secret_sealed holds its API token (sealed like the TSIG secret) and server, key_name
-- and algorithm are empty.
ALTER TABLE dns_push_settings ADD COLUMN provider TEXT NOT NULL DEFAULT 'rfc2136';
