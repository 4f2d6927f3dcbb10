-- Ticket events and the audit log become keyed hash chains (issue 15): each
-- row keeps the tag of its link function (hmac-sha256 or hmac-sm3), the
-- previous row's hash and its own. Rows written before this migration keep
-- empty hashes: each chain starts at the first row written after it, which
-- the collector records in its integrity key file (keyed_from).
ALTER TABLE events ADD COLUMN alg TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN alg TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN hash TEXT NOT NULL DEFAULT '';
-- The writer now inserts the audit record itself, in the same transaction,
-- since its hash is computed in Go (a trigger cannot compute an HMAC).
DROP TRIGGER events_audit;
