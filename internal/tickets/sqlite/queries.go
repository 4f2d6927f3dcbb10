package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/internal/sla"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// The writer's statements (writerQueries are prepared at Open).
const (
	qSavepoint     = `SAVEPOINT req`
	qRollbackTo    = `ROLLBACK TO req`
	qRelease       = `RELEASE req`
	qTicketByID    = `SELECT ` + ticketCols + ` FROM tickets WHERE id = ?`
	qTimers        = `SELECT spec, started_at, met_at, ended_at, paused_ns, paused_at FROM timers WHERE ticket_id = ? ORDER BY rowid`
	qParts         = `SELECT id, part, serial, location, cause, at, actor, worker, repair_kind, repair_out_at, repair_back_at FROM parts WHERE ticket_id = ? ORDER BY id`
	qAffected      = `SELECT device, alertname, at FROM affected WHERE ticket_id = ? ORDER BY id`
	qEvents        = `SELECT id, at, actor, worker, kind, from_state, to_state, note, detail FROM events WHERE ticket_id = ? ORDER BY id`
	qLatestByGroup = `SELECT ` + ticketCols + ` FROM tickets WHERE group_key = ? AND group_key <> '' ORDER BY id DESC LIMIT 1`
	qLatestReach   = `SELECT ` + ticketCols + ` FROM tickets WHERE reach = 1 AND device = ? ORDER BY id DESC LIMIT 1`
	qUnknownByDev  = `SELECT ` + ticketCols + ` FROM tickets WHERE unknown_at IS NOT NULL AND device = ? AND linked_to = 0 ORDER BY id`
	qAlert         = `SELECT fingerprint, ticket_id, firing, affected, unknown, starts_at, ends_at, last_seen FROM alerts WHERE fingerprint = ?`
	qPutAlert      = `INSERT OR REPLACE INTO alerts (fingerprint, ticket_id, firing, affected, unknown, starts_at, ends_at, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	qFiring        = `SELECT COUNT(*) FROM alerts WHERE ticket_id = ? AND firing = 1 AND affected = 0`
	qUnknown       = `SELECT COUNT(*) FROM alerts WHERE ticket_id = ? AND firing = 1 AND affected = 0 AND unknown = 1`
	qInsertTicket  = `INSERT INTO tickets (level, state, title, description, device, site, category, grp, source,
group_key, labels, reach, reporter, assignee, cause, fix, opened_at, updated_at, recovered_at, resolved_at, closed_at, last_alert_at,
profile, paused_at, pause_reason, pause_agreed_by, paused_ns, satisfaction)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qSaveTicket = `UPDATE tickets SET level = ?, state = ?, title = ?, description = ?, site = ?, category = ?,
grp = ?, assignee = ?, cause = ?, fix = ?, updated_at = ?, recovered_at = ?, resolved_at = ?, closed_at = ?, last_alert_at = ?,
unknown_at = ?, linked_to = ?,
paused_at = ?, pause_reason = ?, pause_agreed_by = ?, paused_ns = ?, satisfaction = ?
WHERE id = ?`
	qSaveTimer = `UPDATE timers SET started_at = ?, met_at = ?, ended_at = ?, paused_ns = ?, paused_at = ? WHERE ticket_id = ? AND kind = ?`
	// qPutTimer stores a timer whose spec changed (the ticket's level was raised).
	qPutTimer = `INSERT INTO timers (ticket_id, kind, spec, started_at, met_at, ended_at, paused_ns, paused_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (ticket_id, kind) DO UPDATE SET spec = excluded.spec, started_at = excluded.started_at, met_at = excluded.met_at,
ended_at = excluded.ended_at, paused_ns = excluded.paused_ns, paused_at = excluded.paused_at`
	qInsertEvent  = `INSERT INTO events (ticket_id, at, actor, worker, kind, from_state, to_state, note, detail, alg, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qInsertAudit  = `INSERT INTO audit_log (ticket_id, at, actor, worker, kind, from_state, to_state, note, alg, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qInsertPart   = `INSERT INTO parts (ticket_id, part, serial, location, cause, at, actor, worker) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	qPartRepair   = `UPDATE parts SET repair_kind = ?, repair_out_at = ?, repair_back_at = ? WHERE id = ? AND ticket_id = ?`
	qInsertAffect = `INSERT INTO affected (ticket_id, device, alertname, at) VALUES (?, ?, ?, ?)`
	qClaimNotice  = `INSERT OR IGNORE INTO notices (key, ticket_id, complaint_id, timer, step, kind, role, due_at, state)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')`
	qFinishNotice = `UPDATE notices SET state = ?, finished_at = ? WHERE key = ?`
)

// qInsertTimers[n] inserts n timers (n ≥ 1; a ticket has at most one timer
// of each kind).
var qInsertTimers = func() []string {
	q := []string{""}
	for n := 1; n <= len(sla.Kinds()); n++ {
		q = append(q, `INSERT INTO timers (ticket_id, kind, spec, started_at, met_at, ended_at, paused_ns, paused_at) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?), ", n), ", "))
	}
	return q
}()

var writerQueries = append([]string{qSavepoint, qRollbackTo, qRelease, qTicketByID, qTimers, qParts, qAffected, qEvents,
	qLatestByGroup, qLatestReach, qUnknownByDev, qAlert, qPutAlert, qFiring, qUnknown, qInsertTicket, qSaveTicket, qSaveTimer, qPutTimer,
	qInsertEvent, qInsertAudit, qInsertPart, qPartRepair, qInsertAffect, qClaimNotice, qFinishNotice}, qInsertTimers[1:]...)

func (x *txn) Get(id int64) (*tickets.Ticket, error) { return getTicket(x.ctx, x, id, true) }

func (x *txn) latest(q string, arg any) (*tickets.Ticket, error) {
	t, err := scanTicket(x.QueryRowContext(x.ctx, q, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// Only the timers: the intake path saves them; parts and affected
	// devices are not needed there.
	return t, loadTimers(x.ctx, x, t)
}

func (x *txn) LatestByGroup(key string) (*tickets.Ticket, error) {
	return x.latest(qLatestByGroup, key)
}

func (x *txn) ActiveReachability(device string) (*tickets.Ticket, error) {
	t, err := x.latest(qLatestReach, device)
	if err != nil || t == nil {
		return nil, err
	}
	if !t.State.Active() {
		return nil, nil
	}
	return t, nil
}

func (x *txn) Alert(fp string) (*tickets.AlertRecord, error) {
	var r tickets.AlertRecord
	var st, en, ls int64
	err := x.QueryRowContext(x.ctx, qAlert, fp).
		Scan(&r.Fingerprint, &r.TicketID, &r.Firing, &r.Affected, &r.Unknown, &st, &en, &ls)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r.StartsAt, r.LastSeen = fromNS(st), fromNS(ls)
	if en != 0 {
		r.EndsAt = fromNS(en)
	}
	return &r, nil
}

func (x *txn) PutAlert(r tickets.AlertRecord) error {
	var en int64
	if !r.EndsAt.IsZero() {
		en = ns(r.EndsAt)
	}
	_, err := x.ExecContext(x.ctx, qPutAlert, r.Fingerprint, r.TicketID, r.Firing, r.Affected, r.Unknown, ns(r.StartsAt), en, ns(r.LastSeen))
	return err
}

func (x *txn) FiringAlerts(id int64) (int, error) {
	var n int
	err := x.QueryRowContext(x.ctx, qFiring, id).Scan(&n)
	return n, err
}

func (x *txn) UnknownAlerts(id int64) (int, error) {
	var n int
	err := x.QueryRowContext(x.ctx, qUnknown, id).Scan(&n)
	return n, err
}

func (x *txn) UnknownTickets(device string) ([]*tickets.Ticket, error) {
	rows, err := x.QueryContext(x.ctx, qUnknownByDev, device)
	if err != nil {
		return nil, err
	}
	var out []*tickets.Ticket
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		if t.State.Active() {
			out = append(out, t)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, t := range out {
		if err := loadTimers(x.ctx, x, t); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (x *txn) Insert(t *tickets.Ticket) error {
	lj, err := labelsJSON(t.Labels)
	if err != nil {
		return err
	}
	res, err := x.ExecContext(x.ctx, qInsertTicket,
		int(t.Level), t.State, t.Title, t.Description, t.Device, t.Site, string(t.Category), t.Group, t.Source,
		t.GroupKey, lj, t.Reach, t.Reporter, t.Assignee, t.Cause, t.Fix, ns(t.OpenedAt), ns(t.UpdatedAt),
		nsp(t.RecoveredAt), nsp(t.ResolvedAt), nsp(t.ClosedAt), nsp(t.LastAlertAt),
		t.Profile, pauseSince(t.Pause), pauseField(t.Pause, true), pauseField(t.Pause, false), int64(t.PausedTotal), t.Satisfaction)
	if err != nil {
		return fmt.Errorf("insert ticket: %w", err)
	}
	if t.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	// All timers in one statement (one row each).
	for ts := t.Timers; len(ts) > 0; {
		n := min(len(ts), len(qInsertTimers)-1)
		args := make([]any, 0, 8*n)
		for _, tm := range ts[:n] {
			spec, err := json.Marshal(tm.Spec)
			if err != nil {
				return err
			}
			args = append(args, t.ID, tm.Name(), string(spec), nsp(tm.StartedAt), nsp(tm.MetAt), nsp(tm.EndedAt), int64(tm.Paused), nsp(tm.PausedAt))
		}
		if _, err := x.ExecContext(x.ctx, qInsertTimers[n], args...); err != nil {
			return fmt.Errorf("insert timers: %w", err)
		}
		ts = ts[n:]
	}
	return nil
}

func (x *txn) Save(t *tickets.Ticket) error {
	res, err := x.ExecContext(x.ctx, qSaveTicket, int(t.Level), t.State, t.Title, t.Description, t.Site, string(t.Category), t.Group, t.Assignee, t.Cause, t.Fix,
		ns(t.UpdatedAt), nsp(t.RecoveredAt), nsp(t.ResolvedAt), nsp(t.ClosedAt), nsp(t.LastAlertAt),
		nsp(t.UnknownSince), t.LinkedTo,
		pauseSince(t.Pause), pauseField(t.Pause, true), pauseField(t.Pause, false), int64(t.PausedTotal), t.Satisfaction, t.ID)
	if err != nil {
		return fmt.Errorf("save ticket %d: %w", t.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("%w: %d", tickets.ErrNotFound, t.ID)
	}
	for _, tm := range t.Timers {
		if tm.SpecChanged {
			spec, err := json.Marshal(tm.Spec)
			if err != nil {
				return err
			}
			if _, err := x.ExecContext(x.ctx, qPutTimer, t.ID, tm.Name(), string(spec), nsp(tm.StartedAt), nsp(tm.MetAt),
				nsp(tm.EndedAt), int64(tm.Paused), nsp(tm.PausedAt)); err != nil {
				return fmt.Errorf("save timer: %w", err)
			}
			continue
		}
		if _, err := x.ExecContext(x.ctx, qSaveTimer,
			nsp(tm.StartedAt), nsp(tm.MetAt), nsp(tm.EndedAt), int64(tm.Paused), nsp(tm.PausedAt), t.ID, tm.Name()); err != nil {
			return fmt.Errorf("save timer: %w", err)
		}
	}
	return nil
}

// AddEvent writes the event and its audit record, each linked into its
// chain (chain.go) when the store has a key.
func (x *txn) AddEvent(id int64, e tickets.Event) error {
	var evPrev, evHash, auPrev, auHash string
	if x.chain != nil {
		d := docOf(id, e)
		evPrev, auPrev = x.heads.event, x.heads.audit
		evHash = x.chain.Link(evPrev, mustJSON(d))
		auHash = x.chain.Link(auPrev, mustJSON(d.audit()))
	}
	tag := x.chain.Tag()
	if _, err := x.ExecContext(x.ctx, qInsertEvent, id, ns(e.At), e.Actor, e.By, e.Kind, e.From, e.To, e.Note, e.Detail, tag, evPrev, evHash); err != nil {
		return fmt.Errorf("add event: %w", err)
	}
	if _, err := x.ExecContext(x.ctx, qInsertAudit, id, ns(e.At), e.Actor, e.By, e.Kind, e.From, e.To, e.Note, tag, auPrev, auHash); err != nil {
		return fmt.Errorf("add audit record: %w", err)
	}
	x.heads.event, x.heads.audit = evHash, auHash
	return nil
}

func (x *txn) SetPartRepair(ticketID int64, p tickets.Part) error {
	res, err := x.ExecContext(x.ctx, qPartRepair, string(p.RepairKind), nsp(p.RepairOut), nsp(p.RepairBack), p.ID, ticketID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("%w: part %d of ticket %d", tickets.ErrNotFound, p.ID, ticketID)
	}
	return nil
}

func (x *txn) AddPart(id int64, p tickets.Part) (int64, error) {
	res, err := x.ExecContext(x.ctx, qInsertPart,
		id, p.Part, p.Serial, p.Location, p.Cause, ns(p.At), p.Actor, p.By)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func (x *txn) AddAffected(id int64, a tickets.Affected) error {
	_, err := x.ExecContext(x.ctx, qInsertAffect,
		id, a.Device, a.Alertname, ns(a.At))
	return err
}

func pauseSince(p *tickets.Pause) any {
	if p == nil {
		return nil
	}
	return ns(p.Since)
}

func pauseField(p *tickets.Pause, reason bool) string {
	switch {
	case p == nil:
		return ""
	case reason:
		return p.Reason
	}
	return p.AgreedBy
}

func (x *txn) ClaimNotice(n tickets.Notice) (bool, error) {
	// INSERT OR IGNORE would also ignore the table's CHECK: say it.
	if n.TicketID == 0 && n.ComplaintID == 0 {
		return false, fmt.Errorf("claim notice %s: %w: neither a ticket nor a complaint", n.Key, tickets.ErrInvalid)
	}
	res, err := x.ExecContext(x.ctx, qClaimNotice, n.Key, nullID(n.TicketID), nullID(n.ComplaintID), n.Timer, n.Step, n.Kind, n.Role, ns(n.DueAt))
	if err != nil {
		return false, err
	}
	c, err := res.RowsAffected()
	return c == 1, err
}

// nullID is NULL for id 0 (a notice without a ticket or complaint).
func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

func (x *txn) FinishNotice(key string, st tickets.NoticeState, at time.Time) error {
	_, err := x.ExecContext(x.ctx, qFinishNotice, st, ns(at), key)
	return err
}

// Get implements tickets.Store.
func (s *Store) Get(ctx context.Context, id int64) (*tickets.Ticket, error) {
	return getTicket(ctx, s.r, id, true)
}

// List implements tickets.Store.
func (s *Store) List(ctx context.Context, f tickets.Filter) ([]tickets.Ticket, error) {
	var where []string
	var args []any
	if len(f.States) > 0 {
		ph := make([]string, len(f.States))
		for i, st := range f.States {
			ph[i] = "?"
			args = append(args, st)
		}
		where = append(where, "state IN ("+strings.Join(ph, ",")+")")
	}
	if f.Level != 0 {
		where, args = append(where, "level = ?"), append(args, int(f.Level))
	}
	if f.Site != "" {
		where, args = append(where, "site = ?"), append(args, f.Site)
	}
	if f.Device != "" {
		where, args = append(where, "device = ?"), append(args, f.Device)
	}
	if len(f.Sites) > 0 {
		ph := make([]string, len(f.Sites))
		for i, site := range f.Sites {
			ph[i] = "?"
			args = append(args, site)
		}
		where = append(where, "site IN ("+strings.Join(ph, ",")+")")
	}
	if f.Category != "" {
		where, args = append(where, "category = ?"), append(args, string(f.Category))
	}
	if !f.From.IsZero() {
		where, args = append(where, "opened_at >= ?"), append(args, ns(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "opened_at < ?"), append(args, ns(f.To))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	q := `SELECT ` + ticketCols + ` FROM tickets`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ? OFFSET ?"
	args = append(args, limit, max(f.Offset, 0))
	return s.queryTickets(ctx, q, args...)
}

// RunningTimers implements tickets.Store.
func (s *Store) RunningTimers(ctx context.Context) ([]tickets.Ticket, error) {
	// Every state but closed and cancelled: a resolved ticket's report timer runs.
	return s.queryTickets(ctx, `SELECT `+ticketCols+` FROM tickets WHERE state NOT IN ('closed','cancelled')
AND id IN (SELECT ticket_id FROM timers WHERE met_at IS NULL AND started_at IS NOT NULL AND ended_at IS NULL) ORDER BY id`)
}

// queryTickets runs a query selecting ticketCols and loads each ticket's timers.
func (s *Store) queryTickets(ctx context.Context, q string, args ...any) ([]tickets.Ticket, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []tickets.Ticket
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := loadTimersOf(ctx, s.r, out); err != nil {
		return nil, err
	}
	return out, nil
}

// PendingNotices implements tickets.Store.
func (s *Store) PendingNotices(ctx context.Context) ([]tickets.Notice, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT key, COALESCE(ticket_id, 0), COALESCE(complaint_id, 0), timer, step, kind, role, due_at, state
FROM notices WHERE state = 'pending' ORDER BY due_at, key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []tickets.Notice
	for rows.Next() {
		var n tickets.Notice
		var due int64
		if err := rows.Scan(&n.Key, &n.TicketID, &n.ComplaintID, &n.Timer, &n.Step, &n.Kind, &n.Role, &due, &n.State); err != nil {
			return nil, err
		}
		n.DueAt = fromNS(due)
		out = append(out, n)
	}
	return out, rows.Err()
}

// AuditCount returns the number of audit records (for tests and health).
func (s *Store) AuditCount(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log`).Scan(&n)
	return n, err
}
