package tickets

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
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
	// on the event (and the part) in its own field. For confirm and reject it
	// is the customer's person who answered.
	By       string `json:"by,omitempty"`
	Note     string `json:"note,omitempty"`
	Assignee string `json:"assignee,omitempty"` // dispatch
	Cause    string `json:"cause,omitempty"`    // resolve
	Fix      string `json:"fix,omitempty"`      // resolve
	// At is when the milestone happened (e.g. arrival reported afterwards by
	// phone); default now, never in the future.
	At   *time.Time `json:"at,omitempty"`
	Part *Part      `json:"part,omitempty"` // part; spare (registers it)
	// Text is the diagnosis (diagnose), the plan (plan) or the report's
	// summary (report).
	Text string `json:"text,omitempty"`
	// Attachment names a document that goes with the plan or report (a file
	// name or a link); optional.
	Attachment string `json:"attachment,omitempty"`
	// Emergency marks a plan as the emergency or second plan (应急方案 /
	// 第二解决方案): it meets the emergency timer instead of the plan timer.
	Emergency bool `json:"emergency,omitempty"`
	// PartID links the spare in place to a part registered on the ticket
	// (spare); alternatively Part registers it with the spare.
	PartID int64 `json:"part_id,omitempty"`
	// Satisfaction is the customer's rating 1–5 (followup).
	Satisfaction int `json:"satisfaction,omitempty"`
	// Reason and AgreedBy: why the ticket is paused and who on the customer's
	// side agreed (pause).
	Reason   string `json:"reason,omitempty"`
	AgreedBy string `json:"agreed_by,omitempty"`
	// RepairKind is local (送修) or factory (返厂) (repair_out).
	RepairKind RepairKind `json:"repair_kind,omitempty"`
}

// Validate checks the fields an action requires.
func (r *ActionRequest) Validate() error {
	blank := func(v string) bool { return strings.TrimSpace(v) == "" }
	switch r.Action {
	case ActionResolve:
		if blank(r.Cause) || blank(r.Fix) {
			return fmt.Errorf("%w: resolve needs both cause (故障原因) and fix (处理方法)", ErrInvalid)
		}
	case ActionNote:
		if blank(r.Note) {
			return fmt.Errorf("%w: note needs a note", ErrInvalid)
		}
	case ActionPart:
		if r.Part == nil || blank(r.Part.Part) {
			return fmt.Errorf("%w: part needs part.part (the replaced part)", ErrInvalid)
		}
	case ActionDiagnose:
		if blank(r.Text) {
			return fmt.Errorf("%w: diagnose needs text (the diagnosis, 故障判断)", ErrInvalid)
		}
	case ActionPlan:
		if blank(r.Text) {
			return fmt.Errorf("%w: plan needs text (the plan, 处理方案)", ErrInvalid)
		}
	case ActionSpare:
		if (r.PartID == 0) == (r.Part == nil) {
			return fmt.Errorf("%w: spare needs either part_id (a part registered on the ticket) or part (to register it)", ErrInvalid)
		}
		if r.Part != nil && blank(r.Part.Part) {
			return fmt.Errorf("%w: spare needs part.part (the replaced part)", ErrInvalid)
		}
	case ActionRepairOut:
		if !r.RepairKind.Valid() {
			return fmt.Errorf("%w: repair_out needs repair_kind local (送修) or factory (返厂)", ErrInvalid)
		}
		if (r.PartID == 0) == (r.Part == nil) {
			return fmt.Errorf("%w: repair_out needs either part_id (the failed unit registered on the ticket) or part (to register it)", ErrInvalid)
		}
		if r.Part != nil && blank(r.Part.Part) {
			return fmt.Errorf("%w: repair_out needs part.part (the failed unit)", ErrInvalid)
		}
	case ActionRepairReport:
		if blank(r.Note) {
			return fmt.Errorf("%w: repair_report needs a note (what was reported, to whom)", ErrInvalid)
		}
	case ActionReject:
		if blank(r.Note) {
			return fmt.Errorf("%w: reject needs a note (why the fix is not accepted)", ErrInvalid)
		}
	case ActionFollowUp:
		if r.Satisfaction < 1 || r.Satisfaction > 5 {
			return fmt.Errorf("%w: followup needs satisfaction 1 to 5 (满意度)", ErrInvalid)
		}
	case ActionPause:
		if blank(r.Reason) || blank(r.AgreedBy) {
			return fmt.Errorf("%w: pause needs reason (挂起原因) and agreed_by (who on the customer's side agreed)", ErrInvalid)
		}
	case ActionDispatch, ActionAck, ActionOnSite, ActionRecover, ActionClose, ActionReopen, ActionCancel,
		ActionReport, ActionConfirm, ActionResume, ActionRepairBack:
	default:
		return fmt.Errorf("%w: unknown action %q", ErrInvalid, r.Action)
	}
	if r.Actor == "" {
		return fmt.Errorf("%w: no actor", ErrInvalid)
	}
	return nil
}

// detail returns an event's JSON detail from key/value pairs, leaving out
// empty values.
func detail(kv ...any) string {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		switch v := kv[i+1].(type) {
		case string:
			if v == "" {
				continue
			}
		case int:
			if v == 0 {
				continue
			}
		case int64:
			if v == 0 {
				continue
			}
		case bool:
			if !v {
				continue
			}
		case []string:
			if len(v) == 0 {
				continue
			}
		}
		m[kv[i].(string)] = kv[i+1]
	}
	if len(m) == 0 {
		return ""
	}
	b, _ := json.Marshal(m)
	return string(b)
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
		var kv []any
		if !at.Equal(now) {
			kv = append(kv, "at", at.UTC().Format(time.RFC3339Nano))
		}
		if err := s.apply(tx, t, r, at, now, &kv); err != nil {
			return err
		}
		if r.Action == ActionReopen || r.Action == ActionReject {
			t.State = from
			if err := s.reopen(tx, t, now, r.Actor, r.Note); err != nil {
				return err
			}
			if r.Action == ActionReopen {
				return nil
			}
			ev.From, ev.To = from, StateReopened
			ev.Detail = detail(kv...)
			return tx.AddEvent(id, ev)
		}
		milestone := Milestone(r.Action)
		if r.Action == ActionPlan && r.Emergency {
			milestone = sla.MilestoneEmergencyPlan
		}
		if met := s.meet(t, milestone, at); len(met) > 0 {
			kv = append(kv, "met", met)
		}
		switch r.Action {
		case ActionOnSite:
			s.startAnchored(t, sla.FromOnSite, at)
		case ActionResolve:
			// The fault is fixed: a milestone still awaited (a plan, a spare)
			// is no longer needed; the report timer starts. A unit away for
			// repair keeps its clock.
			s.resume(t, at)
			s.endRunning(t, at, func(tm Timer) bool { return tm.Spec.Kind.IsRepair() })
			s.startAnchored(t, sla.FromResolved, at)
		case ActionClose, ActionCancel:
			s.resume(t, now)
			s.endRunning(t, now, nil)
		}
		ev.Detail = detail(kv...)
		if err := tx.Save(t); err != nil {
			return err
		}
		return tx.AddEvent(id, ev)
	})
	if err != nil {
		return nil, err
	}
	switch r.Action {
	case ActionDispatch, ActionRecover, ActionResolve, ActionClose, ActionReject:
		s.nudge() // their notices go now
	}
	return s.Get(ctx, id)
}

// apply makes the action's own changes to t (besides the state and the
// timers its milestone meets) and adds its facts to kv for the event.
func (s *Service) apply(tx *auditTx, t *Ticket, r ActionRequest, at, now time.Time, kv *[]any) error {
	switch r.Action {
	case ActionDispatch:
		if r.Assignee != "" {
			t.Assignee = r.Assignee
			*kv = append(*kv, "assignee", r.Assignee)
			if s.o.Notices {
				return claimDispatchNotice(tx, t, r.Assignee, now)
			}
		}
	case ActionRecover:
		t.RecoveredAt = &at
		return s.claimStateNotice(tx, t, NoticeRecovered, now)
	case ActionResolve:
		t.Cause, t.Fix, t.ResolvedAt = r.Cause, r.Fix, &at
		*kv = append(*kv, "cause", r.Cause, "fix", r.Fix)
		return s.claimStateNotice(tx, t, NoticeRecovered, now)
	case ActionClose:
		t.ClosedAt = &now
		return s.claimStateNotice(tx, t, NoticeClosed, now)
	case ActionDiagnose:
		*kv = append(*kv, "text", r.Text)
	case ActionPlan, ActionReport:
		*kv = append(*kv, "text", r.Text, "attachment", r.Attachment, "emergency", r.Emergency)
	case ActionFollowUp:
		t.Satisfaction = r.Satisfaction
		*kv = append(*kv, "satisfaction", r.Satisfaction)
	case ActionPause:
		if t.Pause != nil {
			return fmt.Errorf("%w: the ticket is already paused since %s", ErrInvalidTransition, t.Pause.Since.In(s.o.Location).Format(time.RFC3339))
		}
		p := Pause{Since: at, Reason: strings.TrimSpace(r.Reason), AgreedBy: strings.TrimSpace(r.AgreedBy)}
		s.pause(t, p)
		*kv = append(*kv, "reason", p.Reason, "agreed_by", p.AgreedBy)
	case ActionResume:
		if t.Pause == nil {
			return fmt.Errorf("%w: the ticket is not paused", ErrInvalidTransition)
		}
		if at.Before(t.Pause.Since) {
			return fmt.Errorf("%w: at is before the pause began", ErrInvalid)
		}
		reason := t.Pause.Reason
		d := s.resume(t, at)
		*kv = append(*kv, "reason", reason, "paused", d.String())
	case ActionRepairOut:
		return s.repairOut(tx, t, r, at, kv)
	case ActionRepairBack:
		return s.repairBack(tx, t, at, kv)
	case ActionReject:
		if s.o.Notices {
			return claimRejectNotices(tx, t, now)
		}
	case ActionPart, ActionSpare:
		if r.Part == nil {
			if !slices.ContainsFunc(t.Parts, func(p Part) bool { return p.ID == r.PartID }) {
				return fmt.Errorf("%w: part %d is not registered on ticket %d", ErrInvalid, r.PartID, t.ID)
			}
			*kv = append(*kv, "part_id", r.PartID)
			return nil
		}
		p := *r.Part
		p.At, p.Actor = at, r.Actor
		p.By = strings.TrimSpace(or(p.By, r.By))
		pid, err := tx.AddPart(t.ID, p)
		if err != nil {
			return err
		}
		p.ID = pid
		*kv = append(*kv, "part_id", pid, "part", p.Part, "serial", p.Serial, "location", p.Location, "cause", p.Cause, "by", p.By)
	}
	return nil
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
	// Photo is the stored name ("<sha256>.jpg|png", inspect.SavePhoto) of a
	// photo filed with the report; the API or console stores the upload and
	// sets it, never the client. It is recorded on the opened event, so the
	// hash chain covers it.
	Photo string `json:"-"`
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
	s.startTimers(t, now)
	err := s.update(ctx, func(tx *auditTx) error {
		if err := tx.Insert(t); err != nil {
			return err
		}
		if err := tx.AddEvent(t.ID, Event{At: now, Actor: m.Actor, Kind: EventOpened, To: StateOpen,
			Note: fmt.Sprintf("人工登记 (%s) %s", or(m.Channel, "phone"), m.Reporter), Detail: detail("photo", m.Photo)}); err != nil {
			return err
		}
		return s.claimOpen(tx, t, now)
	})
	if err != nil {
		return nil, err
	}
	s.nudge()
	return s.Get(ctx, t.ID)
}
