package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// SearchAudit returns the newest limit audit_log records that contain every
// word of query (case-insensitive) in their actor, worker, kind, states,
// note or ticket number, newest first; the console's audit search. Text is
// the record as the audit file holds it (tickets.AuditRecord).
func (s *Store) SearchAudit(ctx context.Context, query string, limit int) ([]auth.AuditLine, error) {
	if limit <= 0 {
		limit = 200
	}
	q := `SELECT id, ticket_id, at, actor, worker, kind, from_state, to_state, note FROM audit_log`
	var args []any
	var conds []string
	for _, w := range strings.Fields(strings.ToLower(query)) {
		conds = append(conds, `instr(lower(actor || ' ' || worker || ' ' || kind || ' ' || from_state || ' ' || to_state || ' ' || note || ' ' || ticket_id), ?) > 0`)
		args = append(args, w)
	}
	if len(conds) > 0 {
		q += ` WHERE ` + strings.Join(conds, " AND ")
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("search audit_log: %w", err)
	}
	defer rows.Close()
	var out []auth.AuditLine
	for rows.Next() {
		var id, at int64
		var r tickets.AuditRecord
		var from, to string
		if err := rows.Scan(&id, &r.TicketID, &at, &r.Actor, &r.By, &r.Kind, &from, &to, &r.Note); err != nil {
			return nil, fmt.Errorf("search audit_log: %w", err)
		}
		r.At, r.From, r.To = fromNS(at), tickets.State(from), tickets.State(to)
		text, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("search audit_log: %w", err)
		}
		out = append(out, auth.AuditLine{At: r.At, Kind: r.Kind, Who: r.Actor, Text: string(text), LineNo: int(id)})
	}
	return out, rows.Err()
}
