package tickets

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/internal/alert"
)

// Silencer says whether a maintenance window (计划维护/屏蔽) covers an
// alert's labels at a moment; *silence.Set implements it. The labels it is
// asked about are the alert's, with device, site and class filled in from
// the inventory when the alert lacks them, so a window may name any of them.
type Silencer interface {
	Silenced(labels map[string]string, at time.Time) (id string, ok bool)
}

// Event kinds of maintenance windows.
const (
	EventSilenced    = "silenced"      // 进入维护窗口: a window now covers the ticket
	EventSilenceEnds = "silence_ended" // 维护窗口结束: the window is over
)

// silenceLabels are the labels a Silencer is asked about.
func (s *Service) silenceLabels(ls map[string]string) map[string]string {
	device := deviceOf(ls)
	out := make(map[string]string, len(ls)+3)
	for k, v := range ls {
		out[k] = v
	}
	if out["device"] == "" && device != "" {
		out["device"] = device
	}
	if s.o.Devices != nil {
		if site, class, _, ok := s.o.Devices.Device(device); ok {
			out["site"], out["class"] = or(out["site"], site), or(out["class"], class)
		}
	}
	return out
}

// silencedBy asks the Silencer, if there is one.
func (s *Service) silencedBy(ls map[string]string, at time.Time) (string, bool) {
	if s.o.Silencer == nil {
		return "", false
	}
	return s.o.Silencer.Silenced(s.silenceLabels(ls), at)
}

// holdSilenced records a firing alert a window covers without a ticket:
// its record says firing on no ticket, so while it stays silenced it only
// refreshes that record, a resolve ends it quietly, and a copy arriving
// after the window ends opens the ticket then.
func (s *Service) holdSilenced(tx *auditTx, a *alert.Alert, fp, silence string, start, now time.Time, res *IngestResult) (int64, error) {
	res.Silenced++
	s.o.Logger.Debug("tickets: alert silenced", "alert", a.Name(), "device", deviceOf(a.Labels), "silence", silence)
	return 0, tx.PutAlert(AlertRecord{Fingerprint: fp, Firing: true, StartsAt: start, LastSeen: now})
}

// escalationPaused reports whether a window covers the ticket now: its
// warning and escalation notices wait until the window is over (the steps
// that fell due meanwhile are sent then).
func (s *Service) escalationPaused(t *Ticket, now time.Time) bool {
	if s.o.Silencer == nil || len(t.Labels) == 0 {
		return false
	}
	_, ok := s.silencedBy(s.ticketLabels(t), now)
	return ok
}

// ticketLabels are a ticket's alert labels with its device and site.
func (s *Service) ticketLabels(t *Ticket) map[string]string {
	ls := make(map[string]string, len(t.Labels)+2)
	for k, v := range t.Labels {
		ls[k] = v
	}
	if ls["device"] == "" && t.Device != "" {
		ls["device"] = t.Device
	}
	if ls["site"] == "" && t.Site != "" {
		ls["site"] = t.Site
	}
	return ls
}

// Window is a maintenance window as MarkSilenced sees it.
type Window struct {
	ID, CreatedBy, Comment string
	StartsAt, EndsAt       time.Time
	// Matches reports whether the window's matchers select the labels.
	Matches func(labels map[string]string) bool
}

// activeStates are the states whose tickets a window can cover.
var activeStates = []State{StateOpen, StateAcknowledged, StateDispatched, StateOnSite, StateReopened}

// MarkSilenced notes on every active ticket the window selects that it is
// now in maintenance (event 进入维护窗口, once per window and ticket). Such a
// ticket stays open and its timers run; its escalation notices wait for the
// window's end. It returns the tickets marked.
func (s *Service) MarkSilenced(ctx context.Context, w Window) ([]int64, error) {
	note := fmt.Sprintf("进入维护窗口 maintenance window %s – %s (%s): %s", w.StartsAt.In(s.o.Location).Format("2006-01-02 15:04"),
		w.EndsAt.In(s.o.Location).Format("2006-01-02 15:04"), w.CreatedBy, w.Comment)
	return s.markWindow(ctx, w, EventSilenced, "", note)
}

// MarkSilenceEnded notes the window's end on the tickets MarkSilenced
// marked that are still active (event 维护窗口结束, once).
func (s *Service) MarkSilenceEnded(ctx context.Context, w Window) ([]int64, error) {
	return s.markWindow(ctx, w, EventSilenceEnds, EventSilenced, "维护窗口结束 maintenance window over: "+w.Comment)
}

// markWindow adds an event of kind to the active tickets w selects that
// have no such event for w yet (and, when need is set, have one of kind need).
func (s *Service) markWindow(ctx context.Context, w Window, kind, need, note string) ([]int64, error) {
	ts, err := s.o.Store.List(ctx, Filter{States: activeStates, Limit: 1000})
	if err != nil {
		return nil, err
	}
	detail := fmt.Sprintf(`{"silence":%q}`, w.ID)
	var cand []int64
	for i := range ts {
		if w.Matches(s.silenceLabels(s.ticketLabels(&ts[i]))) {
			cand = append(cand, ts[i].ID)
		}
	}
	if len(cand) == 0 {
		return nil, nil
	}
	now := s.o.Clock.Now()
	var marked []int64
	err = s.update(ctx, func(tx *auditTx) error {
		marked = marked[:0]
		for _, id := range cand {
			t, err := tx.Get(id)
			if err != nil {
				return err
			}
			has := func(k string) bool {
				for _, e := range t.Events {
					if e.Kind == k && strings.Contains(e.Detail, detail) {
						return true
					}
				}
				return false
			}
			if !t.State.Active() || has(kind) || (need != "" && !has(need)) {
				continue
			}
			if err := tx.AddEvent(id, Event{At: now, Actor: "system:silence", Kind: kind, Note: note, Detail: detail}); err != nil {
				return err
			}
			marked = append(marked, id)
		}
		return nil
	})
	return marked, err
}
