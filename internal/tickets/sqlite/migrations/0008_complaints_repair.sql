-- Complaints (投诉, issue 13) are their own table, not a ticket kind: a
-- complaint is about the service, not a fault; it has no level, category,
-- SLA profile or escalation chain and must not count in the fault
-- statistics. Its one clock (reply by due_at) is fixed when it is filed, so a
-- later change of the configured reply time does not move old deadlines.
-- ticket_id is 0 when the complaint is about the service in general.
CREATE TABLE complaints (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id  INTEGER NOT NULL DEFAULT 0,
    text       TEXT    NOT NULL,
    contact    TEXT    NOT NULL DEFAULT '',
    filed_by   TEXT    NOT NULL,
    filed_at   INTEGER NOT NULL,
    due_at     INTEGER NOT NULL,
    reply      TEXT    NOT NULL DEFAULT '',
    replied_by TEXT    NOT NULL DEFAULT '',
    replied_at INTEGER,
    closed_by  TEXT    NOT NULL DEFAULT '',
    closed_at  INTEGER
);
CREATE INDEX complaints_filed_at ON complaints (filed_at);
CREATE INDEX complaints_ticket ON complaints (ticket_id) WHERE ticket_id <> 0;
CREATE INDEX complaints_filed_by ON complaints (filed_by, id);

-- Seed 003 repair returns: a replaced (failed) part sent away for repair,
-- local (送修) or to the factory (返厂), and when it came back.
ALTER TABLE parts ADD COLUMN repair_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE parts ADD COLUMN repair_out_at INTEGER;
ALTER TABLE parts ADD COLUMN repair_back_at INTEGER;
