-- 设备失联/状态未知: an alert that ended because its data vanished (the device
-- fell silent) keeps its ticket open, marked unknown since unknown_at and
-- linked to the device's reachability ticket (linked_to, 0 = none yet).
ALTER TABLE tickets ADD COLUMN unknown_at INTEGER;
ALTER TABLE tickets ADD COLUMN linked_to INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN unknown INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tickets_unknown ON tickets (device, id) WHERE unknown_at IS NOT NULL;
