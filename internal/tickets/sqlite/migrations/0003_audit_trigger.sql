-- Every event is copied to the audit log by the database itself: one
-- statement per event instead of two, and no event without its audit record.
CREATE TRIGGER events_audit AFTER INSERT ON events
BEGIN
    INSERT INTO audit_log (at, actor, worker, ticket_id, kind, from_state, to_state, note)
    VALUES (NEW.at, NEW.actor, NEW.worker, NEW.ticket_id, NEW.kind, NEW.from_state, NEW.to_state, NEW.note);
END;
