package tickets

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/internal/sla"
)

// DefaultComplaintReply is the time a complaint (投诉) is answered in when the
// configuration sets none. No contract states one for complaints: seed 002
// line 108 ("接到服务信息，应在 24 小时内答复") is the nearest clause, so 24 h
// (7×24) is the default, configurable as tickets.complaint_reply.
const DefaultComplaintReply = 24 * time.Hour

// Complaint kinds of events on the ticket a complaint is about.
const (
	EventComplaint      = "complaint"       // a complaint about the ticket was filed
	EventComplaintReply = "complaint_reply" // it was answered
)

// ComplaintState is where a complaint is.
type ComplaintState string

// Complaint states.
const (
	ComplaintOpen     ComplaintState = "open"     // filed, not answered
	ComplaintAnswered ComplaintState = "answered" // answered, not closed
	ComplaintClosed   ComplaintState = "closed"
)

// Complaint is a complaint about the service (投诉), optionally about a
// ticket. It is not a ticket: it has no level or SLA profile and does not
// count as a fault; its one clock is the reply, due by DueAt (fixed when
// filed).
type Complaint struct {
	ID       int64     `json:"id"`
	TicketID int64     `json:"ticket_id,omitempty"`
	Text     string    `json:"text"`
	Contact  string    `json:"contact,omitempty"`
	FiledBy  string    `json:"filed_by"`
	FiledAt  time.Time `json:"filed_at"`
	DueAt    time.Time `json:"due_at"`
	Reply    string    `json:"reply,omitempty"`
	// RepliedBy and RepliedAt: who answered, when.
	RepliedBy string     `json:"replied_by,omitempty"`
	RepliedAt *time.Time `json:"replied_at,omitempty"`
	ClosedBy  string     `json:"closed_by,omitempty"`
	ClosedAt  *time.Time `json:"closed_at,omitempty"`
	// State, Late and Overdue are derived (View): Late when answered after
	// DueAt, Overdue when not answered and DueAt has passed.
	State   ComplaintState `json:"state"`
	Late    bool           `json:"late,omitempty"`
	Overdue bool           `json:"overdue,omitempty"`
}

// view derives the complaint's state at now, times in loc.
func (c *Complaint) view(now time.Time, loc *time.Location) {
	c.State = ComplaintOpen
	switch {
	case c.ClosedAt != nil:
		c.State = ComplaintClosed
	case c.RepliedAt != nil:
		c.State = ComplaintAnswered
	}
	c.Late = c.RepliedAt != nil && c.RepliedAt.After(c.DueAt)
	c.Overdue = c.RepliedAt == nil && now.After(c.DueAt)
	c.FiledAt, c.DueAt = c.FiledAt.In(loc), c.DueAt.In(loc)
	for _, p := range []**time.Time{&c.RepliedAt, &c.ClosedAt} {
		if *p != nil {
			v := (*p).In(loc)
			*p = &v
		}
	}
}

// ComplaintRequest files a complaint.
type ComplaintRequest struct {
	// TicketID is the ticket it is about (0: the service in general).
	TicketID int64  `json:"ticket_id,omitempty"`
	Text     string `json:"text"`
	// Contact is how to reach the complainant (phone, name).
	Contact string `json:"contact,omitempty"`
	Actor   string `json:"-"`
}

// ComplaintFilter selects complaints. Zero fields do not filter.
type ComplaintFilter struct {
	// FiledBy keeps the complaints one account filed (a customer sees only
	// its own).
	FiledBy  string
	TicketID int64
	From, To time.Time // filed at or after From, before To
	// Open keeps the complaints not yet answered.
	Open  bool
	Limit int // default 100, at most 1000
}

// ComplaintStore keeps complaints; *sqlite.Store implements it (the
// complaints table of the ticket database).
type ComplaintStore interface {
	Complaint(ctx context.Context, id int64) (*Complaint, error)
	Complaints(ctx context.Context, f ComplaintFilter) ([]Complaint, error)
	// OverdueComplaints returns the unanswered, unclosed complaints due at
	// or before at that have no notice of kind yet, oldest deadline first.
	OverdueComplaints(ctx context.Context, at time.Time, kind string) ([]Complaint, error)
}

// complaintStore returns the store's complaint reads.
func (s *Service) complaintStore() (ComplaintStore, error) {
	cs, ok := s.o.Store.(ComplaintStore)
	if !ok {
		return nil, fmt.Errorf("tickets: the store keeps no complaints")
	}
	return cs, nil
}

// FileComplaint records a complaint by r.Actor, due for a reply within the
// configured reply time. A complaint about a ticket is also an event on it.
func (s *Service) FileComplaint(ctx context.Context, r ComplaintRequest) (*Complaint, error) {
	r.Text, r.Contact = strings.TrimSpace(r.Text), strings.TrimSpace(r.Contact)
	switch {
	case r.Text == "":
		return nil, fmt.Errorf("%w: a complaint needs text (投诉内容)", ErrInvalid)
	case r.Actor == "":
		return nil, fmt.Errorf("%w: no actor", ErrInvalid)
	case r.TicketID < 0:
		return nil, fmt.Errorf("%w: ticket_id must be positive", ErrInvalid)
	}
	now := s.o.Clock.Now()
	c := &Complaint{TicketID: r.TicketID, Text: r.Text, Contact: r.Contact, FiledBy: r.Actor, FiledAt: now,
		DueAt: now.Add(s.o.ComplaintReply)}
	err := s.update(ctx, func(tx *auditTx) error {
		if c.TicketID != 0 {
			if _, err := tx.Get(c.TicketID); err != nil {
				return err
			}
		}
		id, err := tx.InsertComplaint(*c)
		if err != nil {
			return err
		}
		c.ID = id
		if err := s.claimComplaintNotice(tx, c, NoticeComplaint, string(sla.ProjectManager), now); err != nil {
			return err
		}
		if c.TicketID == 0 {
			return nil
		}
		return tx.AddEvent(c.TicketID, Event{At: now, Actor: r.Actor, Kind: EventComplaint,
			Note: fmt.Sprintf("投诉 #%d: %s", id, c.Text), Detail: detail("complaint", id, "contact", c.Contact)})
	})
	if err != nil {
		return nil, err
	}
	s.nudge() // its notice goes now
	c.view(now, s.o.Location)
	return c, nil
}

// AnswerComplaint records the reply to complaint id by actor.
func (s *Service) AnswerComplaint(ctx context.Context, id int64, reply, actor string) (*Complaint, error) {
	reply = strings.TrimSpace(reply)
	if reply == "" {
		return nil, fmt.Errorf("%w: an answer needs reply text (答复内容)", ErrInvalid)
	}
	if actor == "" {
		return nil, fmt.Errorf("%w: no actor", ErrInvalid)
	}
	out, err := s.changeComplaint(ctx, id, func(tx *auditTx, c *Complaint, now time.Time) error {
		if c.ClosedAt != nil {
			return fmt.Errorf("%w: complaint %d is closed", ErrInvalidTransition, id)
		}
		c.Reply, c.RepliedBy, c.RepliedAt = reply, actor, &now
		if err := s.claimComplaintNotice(tx, c, NoticeComplaintReply, complainantRole+c.FiledBy, now); err != nil {
			return err
		}
		if c.TicketID == 0 {
			return nil
		}
		return tx.AddEvent(c.TicketID, Event{At: now, Actor: actor, Kind: EventComplaintReply,
			Note: fmt.Sprintf("投诉 #%d 答复: %s", id, reply), Detail: detail("complaint", id)})
	})
	if err != nil {
		return nil, err
	}
	s.nudge() // the reply goes to the filer now
	return out, nil
}

// CloseComplaint closes an answered complaint.
func (s *Service) CloseComplaint(ctx context.Context, id int64, actor string) (*Complaint, error) {
	if actor == "" {
		return nil, fmt.Errorf("%w: no actor", ErrInvalid)
	}
	return s.changeComplaint(ctx, id, func(_ *auditTx, c *Complaint, now time.Time) error {
		switch {
		case c.ClosedAt != nil:
			return fmt.Errorf("%w: complaint %d is already closed", ErrInvalidTransition, id)
		case c.RepliedAt == nil:
			return fmt.Errorf("%w: complaint %d is not answered yet", ErrInvalidTransition, id)
		}
		c.ClosedBy, c.ClosedAt = actor, &now
		return nil
	})
}

func (s *Service) changeComplaint(ctx context.Context, id int64, fn func(tx *auditTx, c *Complaint, now time.Time) error) (*Complaint, error) {
	now := s.o.Clock.Now()
	var out *Complaint
	err := s.update(ctx, func(tx *auditTx) error {
		c, err := tx.Complaint(id)
		if err != nil {
			return err
		}
		if err := fn(tx, c, now); err != nil {
			return err
		}
		out = c
		return tx.SaveComplaint(*c)
	})
	if err != nil {
		return nil, err
	}
	out.view(now, s.o.Location)
	return out, nil
}

// Complaint returns one complaint.
func (s *Service) Complaint(ctx context.Context, id int64) (*Complaint, error) {
	cs, err := s.complaintStore()
	if err != nil {
		return nil, err
	}
	c, err := cs.Complaint(ctx, id)
	if err != nil {
		return nil, err
	}
	c.view(s.o.Clock.Now(), s.o.Location)
	return c, nil
}

// Complaints lists complaints matching f, newest first.
func (s *Service) Complaints(ctx context.Context, f ComplaintFilter) ([]Complaint, error) {
	cs, err := s.complaintStore()
	if err != nil {
		return nil, err
	}
	out, err := cs.Complaints(ctx, f)
	if err != nil {
		return nil, err
	}
	now := s.o.Clock.Now()
	for i := range out {
		out[i].view(now, s.o.Location)
	}
	return out, nil
}

// ComplaintStats counts the complaints filed in a period for the monthly
// report: how many, answered in time, answered late, not answered yet
// (overdue or still within time).
type ComplaintStats struct {
	Filed, InTime, Late, Overdue, Pending int
}

// CountComplaints returns the statistics of cs as evaluated (view) at now.
func CountComplaints(cs []Complaint) ComplaintStats {
	var st ComplaintStats
	for _, c := range cs {
		st.Filed++
		switch {
		case c.RepliedAt != nil && c.Late:
			st.Late++
		case c.RepliedAt != nil:
			st.InTime++
		case c.Overdue:
			st.Overdue++
		default:
			st.Pending++
		}
	}
	return st
}
