-- Schema version 3: leases nobody can forge, worker ownership, the audit trail.
--
-- Lease tokens were small sequential integers kept in runs.lease_token. They are now at least
-- 128 random bits drawn by the coordinator and handed to the worker once; the database keeps only
-- their SHA-256 (runs.lease_token_hash) and the identity (auth token name) that claimed the lease
-- (runs.lease_holder). The old counter tokens stop being valid: a lease held across this upgrade
-- reads as lost to its holder and its run is re-queued when the lease expires.
ALTER TABLE runs ADD COLUMN lease_token_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN lease_holder TEXT NOT NULL DEFAULT '';
UPDATE runs SET lease_token = 0;
DELETE FROM counters WHERE name = 'lease_token';

-- The identity that registered a worker id; '' for ids registered without tokens (adopted by the
-- first identity that re-registers them).
ALTER TABLE workers ADD COLUMN owner TEXT NOT NULL DEFAULT '';

-- Who submitted, cancelled or registered what. Append-only.
CREATE TABLE audit_events (
  event_id INTEGER PRIMARY KEY NOT NULL,
  at_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL
);
