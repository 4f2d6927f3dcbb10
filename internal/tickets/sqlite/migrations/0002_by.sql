-- Who did the work on site when not the actor (the token's owner): 经办人.
ALTER TABLE events ADD COLUMN worker TEXT NOT NULL DEFAULT '';
ALTER TABLE parts ADD COLUMN worker TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN worker TEXT NOT NULL DEFAULT '';
