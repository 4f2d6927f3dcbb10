-- Tickets, their timers, history, alerts, parts, affected devices, notices and
-- the audit log. Times are Unix nanoseconds (UTC).
CREATE TABLE tickets (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    level         INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),
    state         TEXT    NOT NULL,
    title         TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    device        TEXT    NOT NULL DEFAULT '',
    site          TEXT    NOT NULL DEFAULT '',
    category      TEXT    NOT NULL DEFAULT '',
    grp           TEXT    NOT NULL DEFAULT '',
    source        TEXT    NOT NULL DEFAULT '',
    group_key     TEXT    NOT NULL DEFAULT '',
    labels        TEXT    NOT NULL DEFAULT '{}',
    reach         INTEGER NOT NULL DEFAULT 0,
    reporter      TEXT    NOT NULL DEFAULT '',
    assignee      TEXT    NOT NULL DEFAULT '',
    cause         TEXT    NOT NULL DEFAULT '',
    fix           TEXT    NOT NULL DEFAULT '',
    opened_at     INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    recovered_at  INTEGER,
    resolved_at   INTEGER,
    closed_at     INTEGER,
    last_alert_at INTEGER
);
CREATE INDEX tickets_group_key ON tickets (group_key, id) WHERE group_key <> '';
CREATE INDEX tickets_reach ON tickets (device, id) WHERE reach = 1;
CREATE INDEX tickets_opened_at ON tickets (opened_at);
CREATE INDEX tickets_state ON tickets (state);

CREATE TABLE timers (
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    kind       TEXT    NOT NULL,
    spec       TEXT    NOT NULL,
    started_at INTEGER,
    met_at     INTEGER,
    PRIMARY KEY (ticket_id, kind)
);
CREATE INDEX timers_running ON timers (ticket_id) WHERE met_at IS NULL AND started_at IS NOT NULL;

CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    from_state TEXT    NOT NULL DEFAULT '',
    to_state   TEXT    NOT NULL DEFAULT '',
    note       TEXT    NOT NULL DEFAULT '',
    detail     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX events_ticket ON events (ticket_id, id);

CREATE TABLE alerts (
    fingerprint TEXT PRIMARY KEY,
    ticket_id   INTEGER NOT NULL DEFAULT 0,
    firing      INTEGER NOT NULL,
    affected    INTEGER NOT NULL DEFAULT 0,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL DEFAULT 0,
    last_seen   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX alerts_ticket ON alerts (ticket_id) WHERE firing = 1 AND affected = 0;

CREATE TABLE parts (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    part      TEXT    NOT NULL,
    serial    TEXT    NOT NULL DEFAULT '',
    location  TEXT    NOT NULL DEFAULT '',
    cause     TEXT    NOT NULL DEFAULT '',
    at        INTEGER NOT NULL,
    actor     TEXT    NOT NULL
);
CREATE INDEX parts_ticket ON parts (ticket_id);

CREATE TABLE affected (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    device    TEXT    NOT NULL,
    alertname TEXT    NOT NULL,
    at        INTEGER NOT NULL
);
CREATE INDEX affected_ticket ON affected (ticket_id);

CREATE TABLE notices (
    key         TEXT PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id),
    timer       TEXT    NOT NULL,
    step        INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    due_at      INTEGER NOT NULL,
    state       TEXT    NOT NULL,
    finished_at INTEGER
) WITHOUT ROWID;
CREATE INDEX notices_pending ON notices (state) WHERE state = 'pending';

-- The audit log has no UPDATE or DELETE path: the triggers refuse both.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    ticket_id  INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    from_state TEXT    NOT NULL DEFAULT '',
    to_state   TEXT    NOT NULL DEFAULT '',
    note       TEXT    NOT NULL DEFAULT ''
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
