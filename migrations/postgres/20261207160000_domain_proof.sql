-- Proof of control and delegated DNS. A domain's policy is served, its certificate ordered and
-- its reports attributed only once its organisation has proven control of it: by the delegation
-- CNAMEs, a TXT record holding the proof token, or an operator's word (`portcullis domain prove`).
-- The token (32 hex digits, random) is also the label under which the built-in DNS server answers
-- the delegated records. Domains registered before this version count as proven.
ALTER TABLE domains ADD COLUMN proof_token TEXT NOT NULL DEFAULT '';
UPDATE domains SET proof_token = replace(gen_random_uuid()::text, '-', '');
CREATE UNIQUE INDEX domains_proof_token ON domains (proof_token);
ALTER TABLE domains ADD COLUMN proven_at BIGINT;
ALTER TABLE domains ADD COLUMN proven_by TEXT;
UPDATE domains SET proven_at = created_at, proven_by = 'registered before proof of control';
-- How the records are published: 'delegated' (three CNAMEs into this server's zone), 'manual'
-- (by hand) or 'push' (this server updates the owner's DNS).
ALTER TABLE domains ADD COLUMN dns_setup TEXT NOT NULL DEFAULT 'manual' CHECK (dns_setup IN ('delegated', 'manual', 'push'));

