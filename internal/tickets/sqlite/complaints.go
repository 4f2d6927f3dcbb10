package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/internal/tickets"
)

const complaintCols = `id, ticket_id, text, contact, filed_by, filed_at, due_at, reply, replied_by, replied_at, closed_by, closed_at`

func scanComplaint(sc interface{ Scan(...any) error }) (*tickets.Complaint, error) {
	var c tickets.Complaint
	var filed, due int64
	var replied, closed sql.NullInt64
	if err := sc.Scan(&c.ID, &c.TicketID, &c.Text, &c.Contact, &c.FiledBy, &filed, &due, &c.Reply, &c.RepliedBy,
		&replied, &c.ClosedBy, &closed); err != nil {
		return nil, err
	}
	c.FiledAt, c.DueAt, c.RepliedAt, c.ClosedAt = fromNS(filed), fromNS(due), fromNull(replied), fromNull(closed)
	return &c, nil
}

func getComplaint(ctx context.Context, q querier, id int64) (*tickets.Complaint, error) {
	c, err := scanComplaint(q.QueryRowContext(ctx, `SELECT `+complaintCols+` FROM complaints WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: complaint %d", tickets.ErrNotFound, id)
	}
	return c, err
}

// InsertComplaint implements tickets.Tx.
func (x *txn) InsertComplaint(c tickets.Complaint) (int64, error) {
	res, err := x.ExecContext(x.ctx, `INSERT INTO complaints (ticket_id, text, contact, filed_by, filed_at, due_at)
VALUES (?, ?, ?, ?, ?, ?)`, c.TicketID, c.Text, c.Contact, c.FiledBy, ns(c.FiledAt), ns(c.DueAt))
	if err != nil {
		return 0, fmt.Errorf("insert complaint: %w", err)
	}
	return res.LastInsertId()
}

// Complaint implements tickets.Tx.
func (x *txn) Complaint(id int64) (*tickets.Complaint, error) { return getComplaint(x.ctx, x, id) }

// SaveComplaint implements tickets.Tx.
func (x *txn) SaveComplaint(c tickets.Complaint) error {
	_, err := x.ExecContext(x.ctx, `UPDATE complaints SET reply = ?, replied_by = ?, replied_at = ?, closed_by = ?, closed_at = ?
WHERE id = ?`, c.Reply, c.RepliedBy, nsp(c.RepliedAt), c.ClosedBy, nsp(c.ClosedAt), c.ID)
	if err != nil {
		return fmt.Errorf("save complaint: %w", err)
	}
	return nil
}

// Complaint implements tickets.ComplaintStore.
func (s *Store) Complaint(ctx context.Context, id int64) (*tickets.Complaint, error) {
	return getComplaint(ctx, s.r, id)
}

// Complaints implements tickets.ComplaintStore: newest first.
func (s *Store) Complaints(ctx context.Context, f tickets.ComplaintFilter) ([]tickets.Complaint, error) {
	var where []string
	var args []any
	if f.FiledBy != "" {
		where, args = append(where, "filed_by = ?"), append(args, f.FiledBy)
	}
	if f.TicketID != 0 {
		where, args = append(where, "ticket_id = ?"), append(args, f.TicketID)
	}
	if !f.From.IsZero() {
		where, args = append(where, "filed_at >= ?"), append(args, ns(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "filed_at < ?"), append(args, ns(f.To))
	}
	if f.Open {
		where = append(where, "replied_at IS NULL")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT ` + complaintCols + ` FROM complaints`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	rows, err := s.r.QueryContext(ctx, q, append(args, min(limit, 1000))...)
	if err != nil {
		return nil, err
	}
	return collectComplaints(rows)
}

// OverdueComplaints implements tickets.ComplaintStore: the unanswered
// complaints due at or before at whose notice of kind is not claimed yet,
// oldest deadline first.
func (s *Store) OverdueComplaints(ctx context.Context, at time.Time, kind string) ([]tickets.Complaint, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+complaintCols+` FROM complaints c
WHERE replied_at IS NULL AND closed_at IS NULL AND due_at <= ?
AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.complaint_id = c.id AND n.kind = ?)
ORDER BY due_at, id LIMIT 1000`, ns(at), kind)
	if err != nil {
		return nil, fmt.Errorf("overdue complaints: %w", err)
	}
	return collectComplaints(rows)
}

// collectComplaints reads every complaint of rows and closes them.
func collectComplaints(rows *sql.Rows) ([]tickets.Complaint, error) {
	defer rows.Close()
	var out []tickets.Complaint
	for rows.Next() {
		c, err := scanComplaint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}
