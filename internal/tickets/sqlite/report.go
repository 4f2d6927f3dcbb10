package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/roomwatch/roomwatch/internal/tickets"
)

// EventsBetween returns every ticket event with from <= at < to, oldest first.
func (s *Store) EventsBetween(ctx context.Context, from, to time.Time) ([]tickets.TicketEvent, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT e.ticket_id, t.title, t.device, t.level, e.id, e.at, e.actor, e.kind,
e.from_state, e.to_state, e.note, e.detail FROM events e JOIN tickets t ON t.id = e.ticket_id
WHERE e.at >= ? AND e.at < ? ORDER BY e.at, e.id`, ns(from), ns(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []tickets.TicketEvent
	for rows.Next() {
		var e tickets.TicketEvent
		var at int64
		if err := rows.Scan(&e.TicketID, &e.Title, &e.Device, &e.Level, &e.ID, &at, &e.Actor, &e.Kind,
			&e.From, &e.To, &e.Note, &e.Detail); err != nil {
			return nil, err
		}
		e.At = fromNS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// PartsBetween returns the parts replaced with from <= at < to, oldest first.
func (s *Store) PartsBetween(ctx context.Context, from, to time.Time) ([]tickets.TicketPart, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT p.ticket_id, t.title, t.device, p.part, p.serial, p.location, p.cause, p.at, p.actor,
p.repair_kind, p.repair_out_at, p.repair_back_at
FROM parts p JOIN tickets t ON t.id = p.ticket_id WHERE p.at >= ? AND p.at < ? ORDER BY p.at, p.id`, ns(from), ns(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []tickets.TicketPart
	for rows.Next() {
		var p tickets.TicketPart
		var at int64
		var rout, rback sql.NullInt64
		if err := rows.Scan(&p.TicketID, &p.Title, &p.Device, &p.Part.Part, &p.Serial, &p.Location, &p.Cause, &at, &p.Actor,
			&p.RepairKind, &rout, &rback); err != nil {
			return nil, err
		}
		p.At, p.RepairOut, p.RepairBack = fromNS(at), fromNull(rout), fromNull(rback)
		out = append(out, p)
	}
	return out, rows.Err()
}
