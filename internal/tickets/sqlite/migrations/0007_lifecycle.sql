-- The contract lifecycle (issue 13): which SLA profile a ticket got, agreed
-- pauses (挂起), the customer's satisfaction at the follow-up, and timers
-- that end without their milestone (not applicable, or breached at the end).
ALTER TABLE tickets ADD COLUMN profile TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN paused_at INTEGER;
ALTER TABLE tickets ADD COLUMN pause_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN pause_agreed_by TEXT NOT NULL DEFAULT '';
-- Wall-clock time of the pauses that are over (Unix nanoseconds as a duration).
ALTER TABLE tickets ADD COLUMN paused_ns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN satisfaction INTEGER NOT NULL DEFAULT 0;
ALTER TABLE timers ADD COLUMN ended_at INTEGER;
-- Calendar time of the timer's pauses that are over, and the pause in progress.
ALTER TABLE timers ADD COLUMN paused_ns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE timers ADD COLUMN paused_at INTEGER;
