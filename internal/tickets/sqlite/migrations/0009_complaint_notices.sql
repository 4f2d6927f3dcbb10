-- Complaint notices (投诉通知): a notice is about a ticket or about a
-- complaint (filed, overdue, answered), and a complaint may have no ticket.
-- notices.ticket_id was NOT NULL REFERENCES tickets, so the table is rebuilt
-- (SQLite cannot relax a column) with ticket_id NULL for a complaint notice
-- not about a ticket, and complaint_id (NULL for a ticket notice). Nothing
-- references notices; existing rows keep their key, state and times.
CREATE TABLE notices_new (
    key          TEXT PRIMARY KEY,
    ticket_id    INTEGER REFERENCES tickets (id),
    complaint_id INTEGER REFERENCES complaints (id),
    timer        TEXT    NOT NULL,
    step         INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    role         TEXT    NOT NULL,
    due_at       INTEGER NOT NULL,
    state        TEXT    NOT NULL,
    finished_at  INTEGER,
    CHECK (ticket_id IS NOT NULL OR complaint_id IS NOT NULL)
) WITHOUT ROWID;
INSERT INTO notices_new (key, ticket_id, timer, step, kind, role, due_at, state, finished_at)
SELECT key, ticket_id, timer, step, kind, role, due_at, state, finished_at FROM notices;
DROP TABLE notices;
ALTER TABLE notices_new RENAME TO notices;
CREATE INDEX notices_pending ON notices (state) WHERE state = 'pending';
-- The escalator looks for unanswered complaints past their deadline whose
-- overdue notice is not claimed yet.
CREATE INDEX notices_complaint ON notices (complaint_id, kind) WHERE complaint_id IS NOT NULL;
CREATE INDEX complaints_open_due ON complaints (due_at) WHERE replied_at IS NULL;
