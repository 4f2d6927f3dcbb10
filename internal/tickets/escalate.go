package tickets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/roomwatch/roomwatch/internal/notify"
	"github.com/roomwatch/roomwatch/internal/sla"
)

// Notifier sends rendered notices; *notify.Notifier implements it.
type Notifier interface {
	Notify(ctx context.Context, ev notify.Event, d notify.Data, channels []string, report func(notify.Attempt)) error
}

// EscalationOptions configures an Escalator.
type EscalationOptions struct {
	Notifier Notifier
	// Routes maps a chain role (engineer, project_manager, …) to channel
	// names; a role without a route goes to every channel.
	Routes map[string][]string
	// People maps a person (an assignee's name) to their own channels, for
	// the dispatch notice; without an entry it goes to the "assignee" route,
	// else it is not sent (and that is recorded on the ticket).
	People map[string][]string
	// Duty is the duty roster (*roster.Roster); nil: notices go to the
	// roles' routes only. With it, a notice to a role the roster covers
	// (the engineer on duty, the project manager) names the people on duty
	// at the notice's due time as its recipients (notify.Recipient): their
	// own phone, e-mail and WeCom/DingTalk id on the role's channels.
	Duty DutyRoster
	// Accounts looks up the account that filed a complaint, for the reply
	// notice to it (its phone, e-mail, WeCom/DingTalk id); nil: replies are
	// not sent (recorded as not sent).
	Accounts Accounts
	// Interval between passes; default 30s, on the service's clock.
	Interval time.Duration
	// URL is the web UI's base URL for links in notices ("" = none).
	URL    string
	Logger *slog.Logger
}

// DutyRoster names the people on duty in a role at a time (*roster.Roster):
// none when the roster has nobody for the role or does not cover it.
type DutyRoster interface {
	Recipients(ctx context.Context, at time.Time, role string) ([]notify.Recipient, error)
}

// ErrNoChannel: a personal notice has no channel for its person.
var ErrNoChannel = errors.New("no channel")

// Escalator warns handlers at a timer's warning point and escalates breaches
// along the chain. Due steps are computed from stored timestamps on every
// pass; each step is claimed in the store under a unique key before it is sent
// and marked sent or failed afterwards, so a restart neither loses nor repeats
// a notice (a crash between sending and marking re-sends that one notice).
type Escalator struct {
	s *Service
	o EscalationOptions
}

// Escalator returns the service's escalation loop.
func (s *Service) Escalator(o EscalationOptions) (*Escalator, error) {
	if o.Notifier == nil {
		return nil, errors.New("tickets: escalation needs a Notifier")
	}
	if o.Interval <= 0 {
		o.Interval = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = s.o.Logger
	}
	return &Escalator{s: s, o: o}, nil
}

// Run makes a pass every Interval until ctx ends.
func (e *Escalator) Run(ctx context.Context) error {
	tk := e.s.o.Clock.NewTicker(e.o.Interval)
	defer tk.Stop()
	for {
		if err := e.RunOnce(ctx); err != nil && ctx.Err() == nil {
			e.o.Logger.Error("escalation pass", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tk.Chan():
		case <-e.s.wake: // a ticket was opened or dispatched: its notices go now
		}
	}
}

// noticeKey identifies one step of one timer of one ticket.
func noticeKey(id int64, st sla.Step) string { return fmt.Sprintf("%d/%s", id, st.Key()) }

// RunOnce claims every step now due and sends every claimed, unsent notice.
func (e *Escalator) RunOnce(ctx context.Context) error {
	now := e.s.o.Clock.Now()
	ts, err := e.s.o.Store.RunningTimers(ctx)
	if err != nil {
		return fmt.Errorf("running timers: %w", err)
	}
	var due []Notice
	for _, t := range ts {
		if e.s.escalationPaused(&t, now) {
			continue // in a maintenance window: its steps wait (silenced.go)
		}
		ws := e.s.ticketWindows(&t)
		for _, tm := range t.Timers {
			if !tm.Running() {
				continue
			}
			for _, st := range sla.StepsRun(tm.Spec, e.s.calendarOf(tm.Spec), runOf(tm, ws), now) {
				due = append(due, Notice{Key: noticeKey(t.ID, st), TicketID: t.ID, Timer: string(st.Timer), Step: st.Index,
					Kind: string(st.Kind), Role: string(st.Role), DueAt: st.At})
			}
		}
	}
	overdue, err := e.overdueComplaints(ctx, now)
	if err != nil {
		return fmt.Errorf("overdue complaints: %w", err)
	}
	due = append(due, overdue...)
	if len(due) > 0 {
		if err := e.s.o.Store.Update(ctx, func(tx Tx) error {
			for _, n := range due {
				if _, err := tx.ClaimNotice(n); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("claim notices: %w", err)
		}
	}
	pending, err := e.s.o.Store.PendingNotices(ctx)
	if err != nil {
		return fmt.Errorf("pending notices: %w", err)
	}
	var errs []error
	for _, n := range pending {
		if err := e.send(ctx, n); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func eventOf(kind string) notify.Event {
	switch sla.StepKind(kind) {
	case sla.StepWarn:
		return notify.EventWarning
	case sla.StepBreach:
		return notify.EventBreach
	}
	return notify.EventEscalate
}

func (e *Escalator) send(ctx context.Context, n Notice) error {
	if n.ComplaintID != 0 {
		return e.sendComplaint(ctx, n) // complaint_notices.go
	}
	t, err := e.s.Get(ctx, n.TicketID)
	if err != nil {
		return err
	}
	now := e.s.o.Clock.Now()
	ev, role, channels, routed := e.noticeRoute(n)
	d := notify.Data{TicketID: fmt.Sprintf("#%d", t.ID), Title: t.Title, Summary: t.Description, Level: t.Level.Label(),
		Group: t.Group, Site: t.Site, Device: t.Device, Status: t.State.Chinese(), OpenedAt: t.OpenedAt,
		Role: role, Assignee: t.Assignee, Labels: t.Labels, Location: e.s.o.Location, Cause: t.Cause, Resolution: t.Fix}
	// The recovery notice says when the fault ended: resolved, else recovered.
	for _, at := range []*time.Time{t.RecoveredAt, t.ResolvedAt} {
		if at != nil {
			d.ResolvedAt = *at
		}
	}
	if t.ClosedAt != nil {
		d.ClosedAt = *t.ClosedAt
	}
	if t.Category.Valid() {
		d.Category = t.Category.Chinese()
	}
	if n.Kind == NoticeRejected {
		d.Extra = rejectionOf(t, n.DueAt)
	}
	if e.o.URL != "" {
		d.URL = fmt.Sprintf("%s/tickets/%d", e.o.URL, t.ID)
	}
	for _, v := range t.TimerViews {
		if v.Name == n.Timer {
			d.Timer = v.NameZH
			if v.Deadline != nil {
				d.Deadline = *v.Deadline
				d.Remaining = v.Deadline.Sub(now)
				if now.After(*v.Deadline) {
					d.BreachedBy = now.Sub(*v.Deadline)
				}
			}
		}
	}
	d.To = e.onDuty(ctx, n)
	if len(d.To) > 0 {
		d.Role += " " + recipientNames(d.To)
	}
	what := d.Timer + " " + n.Kind
	if n.Timer == "" {
		what = map[notify.Event]string{notify.EventNew: "新工单通知", notify.EventDispatch: "派单通知",
			notify.EventRecovered: "恢复通知", notify.EventClosed: "关闭通知", notify.EventRejected: "驳回通知"}[ev]
	}
	var attempts []notify.Attempt
	var sendErr error
	if routed {
		sendErr = e.o.Notifier.Notify(ctx, ev, d, channels, func(a notify.Attempt) { attempts = append(attempts, a) })
	} else {
		sendErr = fmt.Errorf("%w: no channel for %s (tickets.people)", ErrNoChannel, role)
	}
	state := NoticeSent
	if sendErr != nil {
		state = NoticeFailed
	}
	err = e.s.update(ctx, func(tx *auditTx) error {
		if err := e.recordAttempts(tx, n, n.TicketID, what, d, attempts, sendErr, now); err != nil {
			return err
		}
		return tx.FinishNotice(n.Key, state, now)
	})
	if err != nil {
		return fmt.Errorf("record notice %s: %w", n.Key, err)
	}
	if sendErr != nil {
		return fmt.Errorf("notice %s: %w", n.Key, sendErr)
	}
	return nil
}

// recordAttempts puts the attempts of notice n (what, to d.Role) on the
// history of ticket id, or that it was not sent (sendErr) when there were none.
func (e *Escalator) recordAttempts(tx *auditTx, n Notice, id int64, what string, d notify.Data, attempts []notify.Attempt,
	sendErr error, now time.Time) error {
	for _, a := range attempts {
		res := "成功 ok"
		if !a.OK {
			res = "失败 failed: " + a.Error
		}
		if err := tx.AddEvent(id, Event{At: a.Start, Actor: "system:escalation", Kind: EventNotice,
			Note:   fmt.Sprintf("%s → %s 经 %s 第%d次 %s", what, d.Role, a.Channel, a.Number, res),
			Detail: noticeDetail(n.Key, a, d.To)}); err != nil {
			return err
		}
	}
	if len(attempts) == 0 && sendErr != nil {
		return tx.AddEvent(id, Event{At: now, Actor: "system:escalation", Kind: EventNotice,
			Note: fmt.Sprintf("%s → %s 未发送 not sent: %v", what, d.Role, sendErr)})
	}
	return nil
}

// rejectionOf returns the reason and the customer's person of the
// rejection on t recorded at at (the notice's due time), else of the latest
// rejection (for the rejection notice).
func rejectionOf(t *Ticket, at time.Time) map[string]string {
	var last *Event
	for i := range t.Events {
		if ev := &t.Events[i]; ev.Kind == string(ActionReject) {
			last = ev
			if ev.At.Equal(at) {
				break
			}
		}
	}
	if last == nil {
		return nil
	}
	return map[string]string{"reason": last.Note, "rejected_by": or(last.By, last.Actor)}
}
