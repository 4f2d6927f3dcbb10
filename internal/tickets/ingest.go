package tickets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/internal/alert"
	"github.com/roomwatch/roomwatch/internal/sla"
)

// IngestResult counts what an Ingest did.
type IngestResult struct {
	Opened, Updated, Recovered, Reopened, Attached, Ignored int
	// Silenced counts firing alerts a maintenance window held back (silenced.go).
	Silenced int `json:",omitempty"`
	// Tickets has one entry per alert, in the order given: the ticket the
	// alert is on after the ingest (for an attached alert, its parent's), or
	// 0 when the alert was ignored. Not part of the webhook's JSON answer.
	Tickets []int64 `json:"-"`
}

// Ingest applies alerts (firing or resolved) to tickets in one transaction; it
// returns after the change is committed. Repeated, replayed and out-of-order
// deliveries of the same alert never open a second ticket.
func (s *Service) Ingest(ctx context.Context, alerts []alert.Alert) (IngestResult, error) {
	var res IngestResult
	if len(alerts) == 0 {
		return res, nil
	}
	now := s.o.Clock.Now()
	// Repeats of alerts known firing on their own ticket change nothing:
	// answer them from memory. An alert whose fingerprint an earlier alert of
	// this request sends down the slow path goes there too, to keep order.
	fps := make([]string, len(alerts))
	ids := make([]int64, len(alerts))
	slow := make([]int, 0, len(alerts))
	var repeats int
	var slowFP map[string]bool
	for i := range alerts {
		a := &alerts[i]
		if len(a.Labels) == 0 {
			return res, fmt.Errorf("alert %s: %w: alert without labels", a.Name(), ErrInvalid)
		}
		fps[i] = a.Fingerprint()
		if s.cache != nil && !slowFP[fps[i]] && a.Status(now) == alert.StatusFiring {
			if id, ok := s.cache.ticket(fps[i]); ok {
				repeats++
				ids[i] = id
				continue
			}
		}
		if slowFP == nil {
			slowFP = make(map[string]bool, len(alerts))
		}
		slowFP[fps[i]] = true
		slow = append(slow, i)
	}
	if len(slow) > 0 {
		err := s.update(ctx, func(tx *auditTx) error {
			res = IngestResult{}
			for _, i := range slow {
				id, err := s.ingestOne(tx, &alerts[i], fps[i], now, &res)
				if err != nil {
					return fmt.Errorf("alert %s: %w", alerts[i].Name(), err)
				}
				ids[i] = id
			}
			return nil
		})
		if err != nil {
			return IngestResult{}, err
		}
	}
	res.Updated += repeats
	res.Tickets = ids
	if res.Opened > 0 || res.Recovered > 0 {
		s.nudge()
	}
	return res, nil
}

// deviceOf returns the device an alert is about: its device label, else the
// host part of instance.
func deviceOf(labels map[string]string) string {
	if d := labels["device"]; d != "" {
		return d
	}
	inst := labels["instance"]
	if h, _, ok := strings.Cut(inst, ":"); ok && !strings.Contains(inst, "]") {
		return h
	}
	return inst
}

// GroupKey returns the group key of a label set (a hash of the GroupBy values).
// "device" is the alert's device (deviceOf); an alert without a "family"
// label is a family of its own (its alertname), so that unrelated alerts
// without one do not share a ticket.
func (s *Service) GroupKey(labels map[string]string) string {
	h := sha256.New()
	for _, l := range s.o.GroupBy {
		v := labels[l]
		switch {
		case l == "device":
			v = deviceOf(labels)
		case l == "family" && v == "":
			v = "alertname:" + labels["alertname"]
		}
		fmt.Fprintf(h, "%s=%q\n", l, v)
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

func (s *Service) isReach(labels map[string]string) bool {
	return labels["reachability"] == "true" || slices.Contains(s.o.ReachabilityAlerts, labels["alertname"])
}

func actorOf(a *alert.Alert) string {
	if a.Source == "" {
		return "system"
	}
	return "system:" + string(a.Source)
}

func (s *Service) ingestOne(tx *auditTx, a *alert.Alert, fp string, now time.Time, res *IngestResult) (int64, error) {
	rec, err := tx.Alert(fp)
	if err != nil {
		return 0, err
	}
	start := a.StartsAt
	if start.IsZero() {
		start = now
	}
	if a.Status(now) == alert.StatusResolved {
		if a.DataAbsent() && rec != nil && rec.Firing && rec.TicketID != 0 && !rec.Affected && !start.Before(rec.StartsAt) {
			return s.unknownOne(tx, a, rec, now, res)
		}
		return s.resolveOne(tx, a, fp, rec, start, now, res)
	}
	actor := actorOf(a)
	if rec != nil && rec.Firing && rec.Affected {
		// Attached to a parent's ticket: once the parent's fault is over, a
		// child still failing is a fault of its own.
		pt, err := tx.Get(rec.TicketID)
		if err != nil {
			return 0, err
		}
		if !pt.State.Active() {
			rec = nil
		}
	}
	if rec != nil {
		switch {
		case rec.Firing && rec.TicketID != 0:
			// The same incident again (a resend or replay): note it was seen.
			rec.LastSeen = now
			known := rec.Unknown
			rec.Unknown = false
			if err := tx.PutAlert(*rec); err != nil {
				return 0, err
			}
			if known {
				// Fresh data shows the fault still there.
				if err := s.known(tx, rec.TicketID, now, actor, "设备恢复通信，故障仍在 data back, alert still firing: "+alertNote(a)); err != nil {
					return 0, err
				}
			}
			res.Updated++
			return rec.TicketID, nil
		case !rec.Firing && !start.After(rec.EndsAt):
			// A stale copy of an incident already resolved (out of order).
			res.Ignored++
			return 0, nil
		}
	}
	if id, ok := s.silencedBy(a.Labels, now); ok {
		return s.holdSilenced(tx, a, fp, id, start, now, res)
	}
	// A new incident of this alert (or the first).
	device := deviceOf(a.Labels)
	site, class, parent := a.Labels["site"], a.Labels["class"], a.Labels["parent"]
	if s.o.Devices != nil {
		if ds, dc, dp, ok := s.o.Devices.Device(device); ok {
			site, class, parent = or(site, ds), or(class, dc), or(parent, dp)
		}
	}
	labels := a.Labels
	if class != "" && labels["class"] == "" {
		labels = mapsWith(labels, "class", class)
	}
	if site != "" && labels["site"] == "" {
		labels = mapsWith(labels, "site", site)
	}
	key := s.GroupKey(a.Labels)
	t, err := tx.LatestByGroup(key)
	if err != nil {
		return 0, err
	}
	newRec := AlertRecord{Fingerprint: fp, Firing: true, StartsAt: start, LastSeen: now}
	if t != nil {
		switch {
		case t.State.Active():
			// Another alert of the same device and fault family: it joins
			// the incident, on its timeline, and a worse one raises its level.
			newRec.TicketID = t.ID
			t.LastAlertAt = &now
			t.UpdatedAt = now
			if err := tx.AddEvent(t.ID, Event{At: now, Actor: actor, Kind: EventAlert, Note: alertNote(a)}); err != nil {
				return 0, err
			}
			if err := s.raiseLevel(tx, t, s.o.Classifier.Classify(labels).Level, now, actor, alertNote(a)); err != nil {
				return 0, err
			}
			if err := tx.Save(t); err != nil {
				return 0, err
			}
			res.Updated++
			return t.ID, tx.PutAlert(newRec)
		case t.State != StateCancelled && s.withinReopen(t, now):
			if err := s.reopen(tx, t, now, actor, "故障复发 recurred: "+alertNote(a)); err != nil {
				return 0, err
			}
			newRec.TicketID = t.ID
			res.Reopened++
			return t.ID, tx.PutAlert(newRec)
		}
	}
	if parent != "" {
		pt, err := tx.ActiveReachability(parent)
		if err != nil {
			return 0, err
		}
		if pt != nil {
			newRec.TicketID, newRec.Affected = pt.ID, true
			if err := tx.AddAffected(pt.ID, Affected{Device: device, Alertname: a.Name(), At: now}); err != nil {
				return 0, err
			}
			if err := tx.AddEvent(pt.ID, Event{At: now, Actor: actor, Kind: EventAffected,
				Note: fmt.Sprintf("下联设备 %s 受影响 (%s)", device, a.Name())}); err != nil {
				return 0, err
			}
			res.Attached++
			return pt.ID, tx.PutAlert(newRec)
		}
	}
	c := s.o.Classifier.Classify(labels)
	t = &Ticket{
		Level: c.Level, State: StateOpen, Title: titleOf(a), Description: a.Annotations["description"],
		Device: device, Site: site, Category: c.Category, Group: c.Group, Source: string(a.Source),
		GroupKey: key, Labels: a.Labels, Reach: s.isReach(a.Labels), OpenedAt: now, UpdatedAt: now,
		LastAlertAt: &now,
	}
	s.startTimers(t, now)
	if err := tx.Insert(t); err != nil {
		return 0, err
	}
	if err := tx.AddEvent(t.ID, Event{At: now, Actor: actor, Kind: EventOpened, To: StateOpen, Note: alertNote(a)}); err != nil {
		return 0, err
	}
	if err := s.claimOpen(tx, t, now); err != nil {
		return 0, err
	}
	newRec.TicketID = t.ID
	res.Opened++
	if t.Reach {
		if err := s.linkUnknown(tx, t, now, actor); err != nil {
			return 0, err
		}
	}
	return t.ID, tx.PutAlert(newRec)
}

func (s *Service) resolveOne(tx *auditTx, a *alert.Alert, fp string, rec *AlertRecord, start, now time.Time, res *IngestResult) (int64, error) {
	ends := a.EndsAt
	if ends.IsZero() || ends.After(now) {
		ends = now
	}
	if rec == nil || rec.TicketID == 0 {
		// Resolved before any firing copy arrived: remember it, so a late
		// firing copy of the same incident opens nothing.
		r := AlertRecord{Fingerprint: fp, StartsAt: start, EndsAt: ends, LastSeen: now}
		if rec != nil && rec.EndsAt.After(ends) {
			r.EndsAt = rec.EndsAt
		}
		res.Ignored++
		return 0, tx.PutAlert(r)
	}
	if !rec.Firing {
		res.Ignored++ // resolved twice
		return 0, nil
	}
	if start.Before(rec.StartsAt) {
		res.Ignored++ // a stale resolve of an older incident
		return 0, nil
	}
	wasUnknown := rec.Unknown
	rec.Firing, rec.Unknown, rec.EndsAt, rec.LastSeen = false, false, ends, now
	if err := tx.PutAlert(*rec); err != nil {
		return 0, err
	}
	if rec.Affected {
		res.Updated++
		return rec.TicketID, nil
	}
	n, err := tx.FiringAlerts(rec.TicketID)
	if err != nil {
		return 0, err
	}
	t, err := tx.Get(rec.TicketID)
	if err != nil {
		return 0, err
	}
	if n > 0 || !t.State.Active() {
		if wasUnknown {
			if err := s.known(tx, t.ID, now, actorOf(a), "设备恢复通信，告警已恢复 data back, alert resolved: "+alertNote(a)); err != nil {
				return 0, err
			}
		}
		res.Updated++
		return t.ID, nil
	}
	from := t.State
	if t.UnknownSince != nil {
		t.UnknownSince = nil
		if err := tx.AddEvent(t.ID, Event{At: now, Actor: actorOf(a), Kind: EventKnown,
			Note: "设备恢复通信 data back: " + alertNote(a)}); err != nil {
			return 0, err
		}
	}
	t.State = StateRecovered
	t.RecoveredAt = &ends
	t.UpdatedAt = now
	s.meet(t, sla.MilestoneRecover, ends)
	actor := actorOf(a)
	if err := tx.AddEvent(t.ID, Event{At: now, Actor: actor, Kind: string(ActionRecover), From: from, To: StateRecovered,
		Note: "告警已恢复 alert resolved at " + ends.In(s.o.Location).Format(time.RFC3339)}); err != nil {
		return 0, err
	}
	notice := NoticeRecovered
	if slices.Contains(s.o.AutoClose, t.Level) {
		notice = NoticeClosed
		t.State = StateClosed
		t.ClosedAt = &now
		s.endRunning(t, now, nil)
		t.Cause, t.Fix = or(t.Cause, "告警自动恢复 alert recovered"), or(t.Fix, "自动关闭 auto-closed by policy")
		if err := tx.AddEvent(t.ID, Event{At: now, Actor: actor, Kind: EventAutoClose, From: StateRecovered, To: StateClosed,
			Note: fmt.Sprintf("%s级工单恢复后自动关闭 auto-closed on recovery", t.Level)}); err != nil {
			return 0, err
		}
	}
	if err := s.claimStateNotice(tx, t, notice, now); err != nil {
		return 0, err
	}
	res.Recovered++
	return t.ID, tx.Save(t)
}

func (s *Service) withinReopen(t *Ticket, now time.Time) bool {
	if s.o.ReopenWindow <= 0 {
		return false
	}
	var last *time.Time
	for _, p := range []*time.Time{t.RecoveredAt, t.ResolvedAt, t.ClosedAt} {
		if p != nil && (last == nil || p.After(*last)) {
			last = p
		}
	}
	return last != nil && now.Sub(*last) <= s.o.ReopenWindow
}

func (s *Service) reopen(tx *auditTx, t *Ticket, now time.Time, actor, note string) error {
	from := t.State
	t.State = StateReopened
	t.UpdatedAt, t.LastAlertAt = now, &now
	t.RecoveredAt, t.ResolvedAt, t.ClosedAt = nil, nil, nil
	// The fault is back: the resolve timers run again from their old start.
	reopenTimers(t)
	if err := tx.Save(t); err != nil {
		return err
	}
	return tx.AddEvent(t.ID, Event{At: now, Actor: actor, Kind: string(ActionReopen), From: from, To: StateReopened, Note: note})
}

func alertNote(a *alert.Alert) string {
	var b strings.Builder
	b.WriteString(a.Name())
	if s := a.Annotations["summary"]; s != "" {
		b.WriteString(": ")
		b.WriteString(s)
	}
	return b.String()
}

func titleOf(a *alert.Alert) string {
	for _, k := range []string{"summary", "title", "description"} {
		if v := a.Annotations[k]; v != "" {
			return v
		}
	}
	if d := deviceOf(a.Labels); d != "" {
		return d + " " + a.Name()
	}
	return a.Name()
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func mapsWith(m map[string]string, k, v string) map[string]string {
	c := make(map[string]string, len(m)+1)
	for kk, vv := range m {
		c[kk] = vv
	}
	c[k] = v
	return c
}
