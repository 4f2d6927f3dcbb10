package tickets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/notify"
	"github.com/roomwatch/roomwatch/internal/sla"
)

// Complaint notice kinds. Like the ticket notices they are claimed in the
// complaint's own transaction (filed, answered) or, for the overdue notice,
// by the escalator's pass under a key unique per complaint, so each is sent
// once and none is lost across a restart.
const (
	// NoticeComplaint: a complaint was filed; to the project manager (the
	// one on duty when the roster names one, else the role's route).
	NoticeComplaint = "complaint"
	// NoticeComplaintOverdue: the complaint is unanswered at its reply
	// deadline; once, to the project manager. Only the project manager:
	// the complaint clause (seed 002: 24 小时内答复) names no escalation, the
	// roles above (technical_director, deputy_gm) belong to the fault
	// timers' chains of the SLA profile, which a complaint does not have,
	// and a role without a route would go to every channel.
	NoticeComplaintOverdue = "complaint_overdue"
	// NoticeComplaintReply: the complaint was answered; to the account that
	// filed it, at its own addresses (tickets.people, else the route
	// "complainant").
	NoticeComplaintReply = "complaint_reply"
)

// complainantRole is the notice role of a reply: "complainant:<account>".
const complainantRole = "complainant:"

// RouteComplainant is the route of the reply notices to the person who
// filed a complaint when tickets.people has no entry for them.
const RouteComplainant = "complainant"

// Accounts looks up a person's account (*accounts.Store): the filer of a
// complaint, for the reply notice.
type Accounts interface {
	Get(ctx context.Context, name string) (accounts.User, error)
}

// complaintNoticeKey is the key of complaint id's notice of kind to role:
// one per complaint, kind and role (a reply's key adds its time).
func complaintNoticeKey(id int64, kind, role string) string {
	return fmt.Sprintf("complaint/%d/%s/%s", id, kind, role)
}

// claimComplaintNotice records, when notices are on, the notice of kind
// about complaint c to role at now, in the complaint's transaction.
func (s *Service) claimComplaintNotice(tx Tx, c *Complaint, kind, role string, now time.Time) error {
	if !s.o.Notices {
		return nil
	}
	key := complaintNoticeKey(c.ID, kind, role)
	if kind == NoticeComplaintReply { // a complaint may be answered again
		key += fmt.Sprintf("/%d", now.UnixNano())
	}
	n := Notice{Key: key, TicketID: c.TicketID, ComplaintID: c.ID, Kind: kind, Role: role, DueAt: now}
	if _, err := tx.ClaimNotice(n); err != nil {
		return fmt.Errorf("claim notice: %w", err)
	}
	return nil
}

// overdueComplaints returns the overdue notices due at now: one per
// unanswered complaint past its deadline, to the project manager.
func (e *Escalator) overdueComplaints(ctx context.Context, now time.Time) ([]Notice, error) {
	cs, ok := e.s.o.Store.(ComplaintStore)
	if !ok {
		return nil, nil
	}
	over, err := cs.OverdueComplaints(ctx, now, NoticeComplaintOverdue)
	if err != nil {
		return nil, err
	}
	var due []Notice
	role := string(sla.ProjectManager)
	for _, c := range over {
		due = append(due, Notice{Key: complaintNoticeKey(c.ID, NoticeComplaintOverdue, role), TicketID: c.TicketID,
			ComplaintID: c.ID, Kind: NoticeComplaintOverdue, Role: role, DueAt: c.DueAt})
	}
	return due, nil
}

// complaintEvent is the notify event of a complaint notice kind.
func complaintEvent(kind string) notify.Event {
	switch kind {
	case NoticeComplaintOverdue:
		return notify.EventComplaintOverdue
	case NoticeComplaintReply:
		return notify.EventComplaintReply
	}
	return notify.EventComplaint
}

// complaintWhat names a complaint notice on the history.
func complaintWhat(id int64, kind string) string {
	return fmt.Sprintf("投诉 #%d ", id) + map[string]string{NoticeComplaint: "通知", NoticeComplaintOverdue: "超时未答复通知",
		NoticeComplaintReply: "答复通知"}[kind]
}

// filer returns the recipient of a reply notice: the filer's account with
// its addresses; an error when it cannot be reached (no account lookup, no
// account, disabled, or no address).
func (e *Escalator) filer(ctx context.Context, name string) (notify.Recipient, error) {
	if e.o.Accounts == nil {
		return notify.Recipient{}, fmt.Errorf("%w: no account lookup for %s", ErrNoChannel, name)
	}
	u, err := e.o.Accounts.Get(ctx, name)
	switch {
	case errors.Is(err, accounts.ErrNotFound):
		return notify.Recipient{}, fmt.Errorf("%w: no account %s", ErrNoChannel, name)
	case err != nil:
		return notify.Recipient{}, fmt.Errorf("account %s: %w", name, err)
	case u.Disabled:
		return notify.Recipient{}, fmt.Errorf("%w: account %s is disabled", ErrNoChannel, name)
	case u.Phone == "" && u.Email == "" && u.WeComID == "" && u.DingTalkID == "":
		return notify.Recipient{}, fmt.Errorf("%w: account %s has no phone, e-mail or WeCom/DingTalk id", ErrNoChannel, name)
	}
	return notify.Recipient{User: u.Name, Name: u.Label(), Phone: u.Phone, Email: u.Email, WeComID: u.WeComID,
		DingTalkID: u.DingTalkID}, nil
}

// complaintRoute returns the recipients, the role shown and the channels of
// complaint notice n (nil channels: every channel), or why it cannot go.
func (e *Escalator) complaintRoute(ctx context.Context, n Notice) (to []notify.Recipient, role string, channels []string, err error) {
	who, personal := strings.CutPrefix(n.Role, complainantRole)
	if !personal {
		to = e.onDuty(ctx, n)
		role = sla.Role(n.Role).Chinese()
		if len(to) > 0 {
			role += " " + recipientNames(to)
		}
		return to, role, e.o.Routes[n.Role], nil
	}
	r, err := e.filer(ctx, who)
	if err != nil {
		return nil, "投诉人 " + who, nil, err
	}
	channels = e.o.People[who]
	if len(channels) == 0 {
		channels = e.o.Routes[RouteComplainant]
	}
	if len(channels) == 0 {
		return nil, "投诉人 " + r.Label(), nil, fmt.Errorf("%w: for the complainant %s (tickets.people or the route %s)",
			ErrNoChannel, who, RouteComplainant)
	}
	return []notify.Recipient{r}, "投诉人 " + r.Label(), channels, nil
}

// sendComplaint sends a claimed complaint notice and records its outcome:
// on the ticket's history when the complaint is about one, else in the log.
func (e *Escalator) sendComplaint(ctx context.Context, n Notice) error {
	now := e.s.o.Clock.Now()
	c, err := e.s.Complaint(ctx, n.ComplaintID)
	if err != nil {
		return err
	}
	if n.Kind == NoticeComplaintOverdue && c.RepliedAt != nil {
		// Answered after the overdue notice was claimed: it no longer applies.
		return e.s.o.Store.Update(ctx, func(tx Tx) error { return tx.FinishNotice(n.Key, NoticeCancelled, now) })
	}
	ev := complaintEvent(n.Kind)
	d := notify.Data{Location: e.s.o.Location, Complaint: &notify.Complaint{ID: fmt.Sprintf("#%d", c.ID), Text: c.Text,
		Contact: c.Contact, FiledBy: c.FiledBy, FiledAt: c.FiledAt, DueAt: c.DueAt, Reply: c.Reply, RepliedBy: c.RepliedBy}}
	if c.RepliedAt != nil {
		d.Complaint.RepliedAt = *c.RepliedAt
	}
	if n.Kind == NoticeComplaintOverdue && now.After(c.DueAt) {
		d.Complaint.Overdue = now.Sub(c.DueAt)
	}
	if e.o.URL != "" {
		d.Complaint.URL = e.o.URL + "/complaints"
	}
	if c.TicketID != 0 {
		t, err := e.s.Get(ctx, c.TicketID)
		if err != nil {
			return err
		}
		d.TicketID, d.Title, d.Level, d.Site, d.Device, d.Status = fmt.Sprintf("#%d", t.ID), t.Title, t.Level.Label(), t.Site,
			t.Device, t.State.Chinese()
		if e.o.URL != "" {
			d.URL = fmt.Sprintf("%s/tickets/%d", e.o.URL, t.ID)
		}
	}
	to, role, channels, routeErr := e.complaintRoute(ctx, n)
	d.To, d.Role = to, role
	what := complaintWhat(c.ID, n.Kind)
	var attempts []notify.Attempt
	sendErr := routeErr
	if routeErr == nil {
		sendErr = e.o.Notifier.Notify(ctx, ev, d, channels, func(a notify.Attempt) { attempts = append(attempts, a) })
	}
	state := NoticeSent
	if sendErr != nil {
		state = NoticeFailed
	}
	err = e.s.update(ctx, func(tx *auditTx) error {
		if c.TicketID != 0 {
			if err := e.recordAttempts(tx, n, c.TicketID, what, d, attempts, sendErr, now); err != nil {
				return err
			}
		}
		return tx.FinishNotice(n.Key, state, now)
	})
	if err != nil {
		return fmt.Errorf("record notice %s: %w", n.Key, err)
	}
	if c.TicketID == 0 {
		for _, a := range attempts {
			e.o.Logger.Info("complaint notice", "notice", n.Key, "to", d.Role, "channel", a.Channel, "attempt", a.Number,
				"ok", a.OK, "err", a.Error)
		}
	}
	if sendErr != nil {
		return fmt.Errorf("notice %s: %w", n.Key, sendErr)
	}
	return nil
}
