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

func ns(t time.Time) int64 { return t.UnixNano() }

func nsp(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixNano()
}

func fromNS(v int64) time.Time { return time.Unix(0, v).UTC() }

func fromNull(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromNS(v.Int64)
	return &t
}

const ticketCols = `id, level, state, title, description, device, site, category, grp, source, group_key, labels, reach,
reporter, assignee, cause, fix, opened_at, updated_at, recovered_at, resolved_at, closed_at, last_alert_at,
unknown_at, linked_to, profile, paused_at, pause_reason, pause_agreed_by, paused_ns, satisfaction`

func scanTicket(sc interface{ Scan(...any) error }) (*tickets.Ticket, error) {
	var t tickets.Ticket
	var labels string
	var opened, updated int64
	var rec, res, clo, last, unk sql.NullInt64
	var cat, pauseReason, pauseAgreed string
	var pausedAt sql.NullInt64
	var pausedNS int64
	if err := sc.Scan(&t.ID, &t.Level, &t.State, &t.Title, &t.Description, &t.Device, &t.Site, &cat, &t.Group,
		&t.Source, &t.GroupKey, &labels, &t.Reach, &t.Reporter, &t.Assignee, &t.Cause, &t.Fix,
		&opened, &updated, &rec, &res, &clo, &last, &unk, &t.LinkedTo,
		&t.Profile, &pausedAt, &pauseReason, &pauseAgreed, &pausedNS, &t.Satisfaction); err != nil {
		return nil, err
	}
	if pausedAt.Valid {
		t.Pause = &tickets.Pause{Since: fromNS(pausedAt.Int64), Reason: pauseReason, AgreedBy: pauseAgreed}
	}
	t.PausedTotal = tickets.Dur(pausedNS)
	t.Category = tickets.Category(cat)
	if labels != "" && labels != "{}" && labels != "null" {
		if err := json.Unmarshal([]byte(labels), &t.Labels); err != nil {
			return nil, fmt.Errorf("ticket %d labels: %w", t.ID, err)
		}
	}
	t.OpenedAt, t.UpdatedAt = fromNS(opened), fromNS(updated)
	t.RecoveredAt, t.ResolvedAt, t.ClosedAt, t.LastAlertAt = fromNull(rec), fromNull(res), fromNull(clo), fromNull(last)
	t.UnknownSince = fromNull(unk)
	return &t, nil
}

func getTicket(ctx context.Context, q querier, id int64, events bool) (*tickets.Ticket, error) {
	t, err := scanTicket(q.QueryRowContext(ctx, qTicketByID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %d", tickets.ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	if err := loadDetails(ctx, q, t, events); err != nil {
		return nil, err
	}
	return t, nil
}

func loadTimers(ctx context.Context, q querier, t *tickets.Ticket) error {
	rows, err := q.QueryContext(ctx, qTimers, t.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	t.Timers = t.Timers[:0]
	for rows.Next() {
		var spec string
		var st, met, ended, pausedAt sql.NullInt64
		var paused int64
		if err := rows.Scan(&spec, &st, &met, &ended, &paused, &pausedAt); err != nil {
			return err
		}
		var tm tickets.Timer
		if err := json.Unmarshal([]byte(spec), &tm.Spec); err != nil {
			return fmt.Errorf("ticket %d timer spec: %w", t.ID, err)
		}
		tm.StartedAt, tm.MetAt, tm.EndedAt = fromNull(st), fromNull(met), fromNull(ended)
		tm.Paused, tm.PausedAt = time.Duration(paused), fromNull(pausedAt)
		t.Timers = append(t.Timers, tm)
	}
	return rows.Err()
}

// loadTimersOf loads the timers of many tickets in one query (a list of
// 1,000 open tickets on the duty desk), parsing each distinct spec once
// (tickets of one spec share its read-only Chain).
func loadTimersOf(ctx context.Context, q querier, ts []tickets.Ticket) error {
	if len(ts) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(ts))
	ph := make([]string, len(ts))
	args := make([]any, len(ts))
	for i := range ts {
		idx[ts[i].ID] = i
		ph[i], args[i] = "?", ts[i].ID
		ts[i].Timers = ts[i].Timers[:0]
	}
	rows, err := q.QueryContext(ctx, `SELECT ticket_id, spec, started_at, met_at, ended_at, paused_ns, paused_at FROM timers WHERE ticket_id IN (`+
		strings.Join(ph, ",")+`) ORDER BY rowid`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	specs := map[string]sla.TimerSpec{}
	for rows.Next() {
		var id int64
		var spec string
		var st, met, ended, pausedAt sql.NullInt64
		var paused int64
		if err := rows.Scan(&id, &spec, &st, &met, &ended, &paused, &pausedAt); err != nil {
			return err
		}
		i, ok := idx[id]
		if !ok {
			continue
		}
		tm := tickets.Timer{StartedAt: fromNull(st), MetAt: fromNull(met), EndedAt: fromNull(ended),
			Paused: time.Duration(paused), PausedAt: fromNull(pausedAt)}
		if tm.Spec, ok = specs[spec]; !ok {
			if err := json.Unmarshal([]byte(spec), &tm.Spec); err != nil {
				return fmt.Errorf("ticket %d timer spec: %w", id, err)
			}
			specs[spec] = tm.Spec
		}
		ts[i].Timers = append(ts[i].Timers, tm)
	}
	return rows.Err()
}

func loadDetails(ctx context.Context, q querier, t *tickets.Ticket, events bool) error {
	if err := loadTimers(ctx, q, t); err != nil {
		return err
	}
	rows, err := q.QueryContext(ctx, qParts, t.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var p tickets.Part
		var at int64
		var out, back sql.NullInt64
		if err := rows.Scan(&p.ID, &p.Part, &p.Serial, &p.Location, &p.Cause, &at, &p.Actor, &p.By,
			&p.RepairKind, &out, &back); err != nil {
			rows.Close()
			return err
		}
		p.At, p.RepairOut, p.RepairBack = fromNS(at), fromNull(out), fromNull(back)
		t.Parts = append(t.Parts, p)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, qAffected, t.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var a tickets.Affected
		var at int64
		if err := rows.Scan(&a.Device, &a.Alertname, &at); err != nil {
			rows.Close()
			return err
		}
		a.At = fromNS(at)
		t.Affected = append(t.Affected, a)
	}
	rows.Close()
	if !events {
		return nil
	}
	rows, err = q.QueryContext(ctx, qEvents, t.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e tickets.Event
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.By, &e.Kind, &e.From, &e.To, &e.Note, &e.Detail); err != nil {
			return err
		}
		e.At = fromNS(at)
		t.Events = append(t.Events, e)
	}
	return rows.Err()
}
func labelsJSON(m map[string]string) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}
