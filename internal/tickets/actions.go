package tickets

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/sla"
)

// ActionRequest is a person's action on a ticket.
type ActionRequest struct {
	Action Action `json:"-"`
	Actor  string `json:"-"` // the token's owner
	// By is who did the work on site when not the actor (经办人); recorded
	// on the event (and the part) in its own field.
	By       string `json:"by,omitempty"`
	Note     string `json:"note,omitempty"`
	Assignee string `json:"assignee,omitempty"` // dispatch
	Cause    string `json:"cause,omitempty"`    // resolve
	Fix      string `json:"fix,omitempty"`      // resolve
	// At is when the milestone happened (e.g. arrival reported afterwards by
	// phone); default now, never in the future.
	At   *time.Time `json:"at,omitempty"`
	Part *Part      `json:"part,omitempty"` // part
}

// Validate checks the fields an action requires.
func (r *ActionRequest) Validate() error {
	switch r.Action {
	case ActionResolve:
		if strings.TrimSpace(r.Cause) == "" || strings.TrimSpace(r.Fix) == "" {
			return fmt.Errorf("%w: resolve needs both cause (故障原因) and fix (处理方法)", ErrInvalid)
		}
	case ActionNote:
		if strings.TrimSpace(r.Note) == "" {
			return fmt.Errorf("%w: note needs a note", ErrInvalid)
		}
	case ActionPart:
		if r.Part == nil || strings.TrimSpace(r.Part.Part) == "" {
			return fmt.Errorf("%w: part needs part.part (the replaced part)", ErrInvalid)
		}
	case ActionDispatch:
	case ActionAck, ActionOnSite, ActionRecover, ActionClose, ActionReopen, ActionCancel:
	default:
		return fmt.Errorf("%w: unknown action %q", ErrInvalid, r.Action)
	}
	if r.Actor == "" {
		return fmt.Errorf("%w: no actor", ErrInvalid)
	}
	return nil
}

// Do applies a person's action and returns the ticket after it.
func (s *Service) Do(ctx context.Context, id int64, r ActionRequest) (*Ticket, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	now := s.o.Clock.Now()
	at := now
	if r.At != nil {
		if r.At.After(now) {
			return nil, fmt.Errorf("%w: at %s is in the future", ErrInvalid, r.At.Format(time.RFC3339))
		}
		at = *r.At
	}
	err := s.update(ctx, func(tx *auditTx) error {
		t, err := tx.Get(id)
		if err != nil {
			return err
		}
		if at.Before(t.OpenedAt) {
			return fmt.Errorf("%w: at is before the ticket was opened", ErrInvalid)
		}
		to, err := Next(t.State, r.Action)
		if err != nil {
			return err
		}
		from := t.State
		t.State, t.UpdatedAt = to, now
		ev := Event{At: now, Actor: r.Actor, By: strings.TrimSpace(r.By), Kind: string(r.Action), Note: r.Note}
		if to != from {
			ev.From, ev.To = from, to
		}
		for _, name := range Stops(r.Action) {
			if tm := t.Timer(name); tm != nil && tm.MetAt == nil && tm.StartedAt != nil {
				m := at
				tm.MetAt = &m
			}
		}
		switch r.Action {
		case ActionDispatch:
			if r.Assignee != "" {
				t.Assignee = r.Assignee
			}
		case ActionOnSite:
			s.startAnchored(t, sla.FromOnSite, at)
		case ActionRecover:
			t.RecoveredAt = &at
		case ActionResolve:
			t.Cause, t.Fix, t.ResolvedAt = r.Cause, r.Fix, &at
			s.startAnchored(t, sla.FromResolved, at)
			d, _ := json.Marshal(map[string]string{"cause": r.Cause, "fix": r.Fix})
			ev.Detail = string(d)
		case ActionClose:
			t.ClosedAt = &now
		case ActionReopen:
			t.State = from
			return s.reopen(tx, t, now, r.Actor, r.Note)
		case ActionPart:
			p := *r.Part
			p.At, p.Actor = at, r.Actor
			p.By = strings.TrimSpace(or(p.By, r.By))
			if err := tx.AddPart(id, p); err != nil {
				return err
			}
			d, _ := json.Marshal(p)
			ev.Detail = string(d)
		}
		if r.Action == ActionDispatch && r.Assignee != "" {
			ev.Detail = fmt.Sprintf(`{"assignee":%q}`, r.Assignee)
		}
		if err := tx.Save(t); err != nil {
			return err
		}
		return tx.AddEvent(id, ev)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

func (s *Service) startAnchored(t *Ticket, anchor sla.Anchor, at time.Time) {
	for i := range t.Timers {
		if t.Timers[i].Spec.From == anchor && t.Timers[i].StartedAt == nil {
			a := at
			t.Timers[i].StartedAt = &a
		}
	}
}

// Manual is a fault reported by phone, e-mail or in person.
type Manual struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Level       Level    `json:"level"`
	Device      string   `json:"device,omitempty"`
	Site        string   `json:"site,omitempty"`
	Category    Category `json:"category,omitempty"`
	Group       string   `json:"group,omitempty"`
	// Channel is how it was reported: phone, email, walk-in.
	Channel  string `json:"channel,omitempty"`
	Reporter string `json:"reporter,omitempty"`
	Actor    string `json:"-"`
}

// Validate checks a manual registration.
func (m *Manual) Validate() error {
	switch {
	case strings.TrimSpace(m.Title) == "":
		return fmt.Errorf("%w: title is required", ErrInvalid)
	case !m.Level.Valid():
		return fmt.Errorf("%w: level must be I, II, III or IV", ErrInvalid)
	case m.Category != "" && !m.Category.Valid():
		return fmt.Errorf("%w: unknown category %q", ErrInvalid, m.Category)
	case m.Actor == "":
		return fmt.Errorf("%w: no actor", ErrInvalid)
	}
	return nil
}

// Create registers a manual ticket; it carries the same timers as an alert's.
func (s *Service) Create(ctx context.Context, m Manual) (*Ticket, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	now := s.o.Clock.Now()
	if m.Category == "" || m.Group == "" {
		lbls := map[string]string{"device": m.Device, "site": m.Site, classify.LabelFaultLevel: m.Level.String()}
		if m.Device != "" && s.o.Devices != nil {
			if site, class, _, ok := s.o.Devices.Device(m.Device); ok {
				lbls["class"] = class
				m.Site = or(m.Site, site)
			}
		}
		c := s.o.Classifier.Classify(lbls)
		if m.Category == "" {
			m.Category = c.Category
		}
		if m.Group == "" {
			m.Group = c.Group
		}
	}
	t := &Ticket{Level: m.Level, State: StateOpen, Title: m.Title, Description: m.Description, Device: m.Device,
		Site: m.Site, Category: m.Category, Group: m.Group, Source: "manual:" + or(m.Channel, "phone"),
		Reporter: m.Reporter, OpenedAt: now, UpdatedAt: now}
	t.Timers = s.timersFor(t.Level, t.Category, now)
	err := s.update(ctx, func(tx *auditTx) error {
		if err := tx.Insert(t); err != nil {
			return err
		}
		return tx.AddEvent(t.ID, Event{At: now, Actor: m.Actor, Kind: EventOpened, To: StateOpen,
			Note: fmt.Sprintf("人工登记 (%s) %s", or(m.Channel, "phone"), m.Reporter)})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, t.ID)
}
