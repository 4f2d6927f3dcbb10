package tickets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/alert"
	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/sla"
)

// Classifier grades alert labels; *classify.Rules implements it.
type Classifier interface {
	Classify(labels map[string]string) classify.Result
}

// Policy gives a new ticket its SLA timers; *sla.Profile implements it.
type Policy interface {
	Timers(level classify.Level, cat classify.Category) []sla.TimerSpec
	CalendarOf(spec sla.TimerSpec) *calendar.Calendar
}

// Devices looks up inventory facts for correlation and enrichment.
type Devices interface {
	// Device returns the device's site, class and parent; ok=false if unknown.
	Device(name string) (site, class, parent string, ok bool)
}

// AuditSink receives every committed ticket change as an AuditRecord, e.g.
// *auth.AuditFile (JSON lines).
type AuditSink interface {
	AppendJSON(v any) error
}

// AuditRecord is one ticket change in the audit log.
type AuditRecord struct {
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	By       string    `json:"by,omitempty"`
	TicketID int64     `json:"ticket_id"`
	Kind     string    `json:"kind"`
	From     State     `json:"from,omitempty"`
	To       State     `json:"to,omitempty"`
	Note     string    `json:"note,omitempty"`
}

// Options configures a Service. Store, Classifier and Policy are required.
type Options struct {
	Store      Store
	Classifier Classifier
	Policy     Policy
	Devices    Devices // nil: labels only
	Clock      clockwork.Clock
	Location   *time.Location // Asia/Shanghai when nil
	// GroupBy are the labels forming a ticket's group key; default device, alertname.
	GroupBy []string
	// ReopenWindow: a fault recurring within it after recovery reopens the old ticket.
	ReopenWindow time.Duration
	// AutoClose lists the levels whose tickets close by themselves on recovery.
	AutoClose []Level
	// ReachabilityAlerts are the alertnames meaning "device unreachable"; a
	// label reachability="true" says the same.
	ReachabilityAlerts []string
	Audit              AuditSink // optional, in addition to the audit table
	Logger             *slog.Logger
	// FiringCache bounds how many firing alert fingerprints are remembered in
	// memory so that repeats skip the store (default 100,000; negative: off).
	FiringCache int
}

// defaultReachability are the alertnames treated as device-down faults: the
// rules of family "reachability" in rules/alerts (internal/catalog's tests
// hold the two equal; alertrules.ReachabilityAlerts derives the list from
// the rule files).
var defaultReachability = []string{"ACUnreachable", "AgentMissing", "AgentScrapeFailed", "CameraOffline",
	"CameraStreamFailed", "CheckpointOffline", "EnvMonitorUnreachable", "HostDown", "InfraSNMPSilent", "NVRAPIDown",
	"NVRDown", "NetworkDeviceDown", "PrinterOffline", "RadioBaseStationDown", "SNMPAgentSilent", "ServiceCheckFailed",
	"StorageDown", "UPSUnreachable"}

// DefaultReachabilityAlerts returns the default reachability alertnames.
func DefaultReachabilityAlerts() []string { return slices.Clone(defaultReachability) }

// Service applies alerts and people's actions to tickets.
type Service struct {
	o     Options
	cache *firingCache // nil when off
}

// New checks the options and returns a Service.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Classifier == nil || o.Policy == nil {
		return nil, errors.New("tickets: Store, Classifier and Policy are required")
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Location == nil {
		loc, err := time.LoadLocation(calendar.DefaultZone)
		if err != nil {
			return nil, fmt.Errorf("tickets: %w", err)
		}
		o.Location = loc
	}
	if len(o.GroupBy) == 0 {
		o.GroupBy = []string{"device", "alertname"}
	}
	if o.ReachabilityAlerts == nil {
		o.ReachabilityAlerts = DefaultReachabilityAlerts()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{o: o}
	switch {
	case o.FiringCache == 0:
		s.cache = newFiringCache(100_000)
	case o.FiringCache > 0:
		s.cache = newFiringCache(o.FiringCache)
	}
	return s, nil
}

// Location returns the time zone tickets are shown in.
func (s *Service) Location() *time.Location { return s.o.Location }

// Clock returns the service's clock.
func (s *Service) Clock() clockwork.Clock { return s.o.Clock }

// IngestResult counts what an Ingest did.
type IngestResult struct {
	Opened, Updated, Recovered, Reopened, Attached, Ignored int
}

// update runs fn in a store transaction, then copies the committed audit
// records to the audit sink.
func (s *Service) update(ctx context.Context, fn func(tx *auditTx) error) error {
	var recs []AuditRecord
	var puts []cacheWrite
	err := s.o.Store.Update(ctx, func(tx Tx) error {
		at := &auditTx{Tx: tx, cache: s.cache}
		err := fn(at)
		puts = at.puts // also on error: their cache stamps are released below
		if err != nil {
			return err
		}
		recs = at.recs
		return nil
	})
	if s.cache != nil {
		for _, p := range puts {
			if err != nil {
				s.cache.abort(p.rec.Fingerprint, p.seq)
			} else {
				s.cache.commit(p.rec.Fingerprint, p.seq, p.rec)
			}
		}
	}
	if err != nil {
		return err
	}
	if s.o.Audit != nil {
		for _, r := range recs {
			if err := s.o.Audit.AppendJSON(r); err != nil {
				s.o.Logger.Error("audit file", "err", err)
				break
			}
		}
	}
	return nil
}

// auditTx collects the audit records of a transaction's events and the alert
// records it writes (for the firing cache).
type auditTx struct {
	Tx
	recs  []AuditRecord
	cache *firingCache
	puts  []cacheWrite
}

func (a *auditTx) PutAlert(r AlertRecord) error {
	if a.cache != nil {
		a.puts = append(a.puts, cacheWrite{seq: a.cache.write(r.Fingerprint), rec: r})
	}
	return a.Tx.PutAlert(r)
}

func (a *auditTx) AddEvent(id int64, e Event) error {
	if err := a.Tx.AddEvent(id, e); err != nil {
		return err
	}
	a.recs = append(a.recs, AuditRecord{At: e.At, Actor: e.Actor, By: e.By, TicketID: id, Kind: e.Kind, From: e.From, To: e.To, Note: e.Note})
	return nil
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
	slow := make([]int, 0, len(alerts))
	var repeats int
	var slowFP map[string]bool
	for i := range alerts {
		a := &alerts[i]
		if len(a.Labels) == 0 {
			return res, fmt.Errorf("alert %s: %w: alert without labels", a.Name(), ErrInvalid)
		}
		fps[i] = a.Fingerprint()
		if s.cache != nil && !slowFP[fps[i]] && a.Status(now) == alert.StatusFiring && s.cache.has(fps[i]) {
			repeats++
			continue
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
				if err := s.ingestOne(tx, &alerts[i], fps[i], now, &res); err != nil {
					return fmt.Errorf("alert %s: %w", alerts[i].Name(), err)
				}
			}
			return nil
		})
		if err != nil {
			return IngestResult{}, err
		}
	}
	res.Updated += repeats
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
func (s *Service) GroupKey(labels map[string]string) string {
	h := sha256.New()
	for _, l := range s.o.GroupBy {
		v := labels[l]
		if l == "device" {
			v = deviceOf(labels)
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

func (s *Service) ingestOne(tx *auditTx, a *alert.Alert, fp string, now time.Time, res *IngestResult) error {
	rec, err := tx.Alert(fp)
	if err != nil {
		return err
	}
	start := a.StartsAt
	if start.IsZero() {
		start = now
	}
	if a.Status(now) == alert.StatusResolved {
		return s.resolveOne(tx, a, fp, rec, start, now, res)
	}
	actor := actorOf(a)
	if rec != nil && rec.Firing && rec.Affected {
		// Attached to a parent's ticket: once the parent's fault is over, a
		// child still failing is a fault of its own.
		pt, err := tx.Get(rec.TicketID)
		if err != nil {
			return err
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
			if err := tx.PutAlert(*rec); err != nil {
				return err
			}
			res.Updated++
			return nil
		case !rec.Firing && !start.After(rec.EndsAt):
			// A stale copy of an incident already resolved (out of order).
			res.Ignored++
			return nil
		}
	}
	// A new incident of this alert (or the first).
	key := s.GroupKey(a.Labels)
	t, err := tx.LatestByGroup(key)
	if err != nil {
		return err
	}
	newRec := AlertRecord{Fingerprint: fp, Firing: true, StartsAt: start, LastSeen: now}
	if t != nil {
		switch {
		case t.State.Active():
			newRec.TicketID = t.ID
			t.LastAlertAt = &now
			t.UpdatedAt = now
			if err := tx.Save(t); err != nil {
				return err
			}
			if err := tx.AddEvent(t.ID, Event{At: now, Actor: actor, Kind: EventAlert, Note: alertNote(a)}); err != nil {
				return err
			}
			res.Updated++
			return tx.PutAlert(newRec)
		case t.State != StateCancelled && s.withinReopen(t, now):
			if err := s.reopen(tx, t, now, actor, "故障复发 recurred: "+alertNote(a)); err != nil {
				return err
			}
			newRec.TicketID = t.ID
			res.Reopened++
			return tx.PutAlert(newRec)
		}
	}
	device := deviceOf(a.Labels)
	site, class, parent := a.Labels["site"], a.Labels["class"], a.Labels["parent"]
	if s.o.Devices != nil {
		if ds, dc, dp, ok := s.o.Devices.Device(device); ok {
			site, class, parent = or(site, ds), or(class, dc), or(parent, dp)
		}
	}
	if parent != "" {
		pt, err := tx.ActiveReachability(parent)
		if err != nil {
			return err
		}
		if pt != nil {
			newRec.TicketID, newRec.Affected = pt.ID, true
			if err := tx.AddAffected(pt.ID, Affected{Device: device, Alertname: a.Name(), At: now}); err != nil {
				return err
			}
			if err := tx.AddEvent(pt.ID, Event{At: now, Actor: actor, Kind: EventAffected,
				Note: fmt.Sprintf("下联设备 %s 受影响 (%s)", device, a.Name())}); err != nil {
				return err
			}
			res.Attached++
			return tx.PutAlert(newRec)
		}
	}
	labels := a.Labels
	if class != "" && labels["class"] == "" {
		labels = mapsWith(labels, "class", class)
	}
	if site != "" && labels["site"] == "" {
		labels = mapsWith(labels, "site", site)
	}
	c := s.o.Classifier.Classify(labels)
	t = &Ticket{
		Level: c.Level, State: StateOpen, Title: titleOf(a), Description: a.Annotations["description"],
		Device: device, Site: site, Category: c.Category, Group: c.Group, Source: string(a.Source),
		GroupKey: key, Labels: a.Labels, Reach: s.isReach(a.Labels), OpenedAt: now, UpdatedAt: now,
		LastAlertAt: &now,
	}
	t.Timers = s.timersFor(t.Level, t.Category, now)
	if err := tx.Insert(t); err != nil {
		return err
	}
	if err := tx.AddEvent(t.ID, Event{At: now, Actor: actor, Kind: EventOpened, To: StateOpen, Note: alertNote(a)}); err != nil {
		return err
	}
	newRec.TicketID = t.ID
	res.Opened++
	return tx.PutAlert(newRec)
}

func (s *Service) resolveOne(tx *auditTx, a *alert.Alert, fp string, rec *AlertRecord, start, now time.Time, res *IngestResult) error {
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
		return tx.PutAlert(r)
	}
	if !rec.Firing {
		res.Ignored++ // resolved twice
		return nil
	}
	if start.Before(rec.StartsAt) {
		res.Ignored++ // a stale resolve of an older incident
		return nil
	}
	rec.Firing, rec.EndsAt, rec.LastSeen = false, ends, now
	if err := tx.PutAlert(*rec); err != nil {
		return err
	}
	if rec.Affected {
		res.Updated++
		return nil
	}
	n, err := tx.FiringAlerts(rec.TicketID)
	if err != nil {
		return err
	}
	t, err := tx.Get(rec.TicketID)
	if err != nil {
		return err
	}
	if n > 0 || !t.State.Active() {
		res.Updated++
		return nil
	}
	from := t.State
	t.State = StateRecovered
	t.RecoveredAt = &ends
	t.UpdatedAt = now
	actor := actorOf(a)
	if err := tx.AddEvent(t.ID, Event{At: now, Actor: actor, Kind: string(ActionRecover), From: from, To: StateRecovered,
		Note: "告警已恢复 alert resolved at " + ends.In(s.o.Location).Format(time.RFC3339)}); err != nil {
		return err
	}
	if slices.Contains(s.o.AutoClose, t.Level) {
		t.State = StateClosed
		t.ClosedAt = &now
		t.Cause, t.Fix = or(t.Cause, "告警自动恢复 alert recovered"), or(t.Fix, "自动关闭 auto-closed by policy")
		if err := tx.AddEvent(t.ID, Event{At: now, Actor: actor, Kind: EventAutoClose, From: StateRecovered, To: StateClosed,
			Note: fmt.Sprintf("%s级工单恢复后自动关闭 auto-closed on recovery", t.Level)}); err != nil {
			return err
		}
	}
	res.Recovered++
	return tx.Save(t)
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
	for i := range t.Timers {
		switch t.Timers[i].Name() {
		case TimerResolve, TimerSpare, TimerDiagnose, TimerPlan:
			t.Timers[i].MetAt = nil
		}
	}
	if err := tx.Save(t); err != nil {
		return err
	}
	return tx.AddEvent(t.ID, Event{At: now, Actor: actor, Kind: string(ActionReopen), From: from, To: StateReopened, Note: note})
}

func (s *Service) timersFor(level Level, cat Category, now time.Time) []Timer {
	specs := s.o.Policy.Timers(level, cat)
	ts := make([]Timer, 0, len(specs))
	for _, sp := range specs {
		t := Timer{Spec: sp}
		if sp.From == sla.FromOpened || sp.From == "" {
			at := now
			t.StartedAt = &at
		}
		ts = append(ts, t)
	}
	return ts
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

// Get returns a ticket with its evaluated timers and history.
func (s *Service) Get(ctx context.Context, id int64) (*Ticket, error) {
	t, err := s.o.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	s.View(t, s.o.Clock.Now())
	return t, nil
}

// List returns tickets matching f with their evaluated timers.
func (s *Service) List(ctx context.Context, f Filter) ([]Ticket, error) {
	ts, err := s.o.Store.List(ctx, f)
	if err != nil {
		return nil, err
	}
	now := s.o.Clock.Now()
	for i := range ts {
		s.View(&ts[i], now)
	}
	return ts, nil
}

// calendarOf returns the spec's calendar, or 7×24 when the profile no longer
// has it.
func (s *Service) calendarOf(spec sla.TimerSpec) sla.Calendar {
	if c := s.o.Policy.CalendarOf(spec); c != nil {
		return c
	}
	return calendar.Always("24x7", s.o.Location)
}

// View fills t.TimerViews at now, times in the service's location.
func (s *Service) View(t *Ticket, now time.Time) {
	loc := s.o.Location
	in := func(p *time.Time) *time.Time {
		if p == nil {
			return nil
		}
		v := p.In(loc)
		return &v
	}
	t.OpenedAt, t.UpdatedAt = t.OpenedAt.In(loc), t.UpdatedAt.In(loc)
	t.RecoveredAt, t.ResolvedAt, t.ClosedAt, t.LastAlertAt = in(t.RecoveredAt), in(t.ResolvedAt), in(t.ClosedAt), in(t.LastAlertAt)
	for i := range t.Events {
		t.Events[i].At = t.Events[i].At.In(loc)
	}
	for i := range t.Parts {
		t.Parts[i].At = t.Parts[i].At.In(loc)
	}
	for i := range t.Affected {
		t.Affected[i].At = t.Affected[i].At.In(loc)
	}
	t.TimerViews = make([]TimerView, 0, len(t.Timers))
	for _, tm := range t.Timers {
		v := TimerView{Name: tm.Name(), NameZH: tm.Spec.Kind.Chinese(), Target: Dur(tm.Spec.Target),
			Calendar: tm.Spec.Calendar, StartedAt: in(tm.StartedAt), MetAt: in(tm.MetAt), Status: "waiting"}
		if tm.StartedAt != nil {
			st := sla.Evaluate(tm.Spec, s.calendarOf(tm.Spec), *tm.StartedAt, tm.MetAt, now)
			v.Deadline = in(&st.Deadline)
			if !st.WarnAt.IsZero() {
				v.WarnAt = in(&st.WarnAt)
			}
			if st.Running {
				r := Dur(st.Remaining)
				v.Remaining = &r
			}
			v.Met, v.Breached = st.Met, st.Breached
			if st.Breached {
				b := Dur(st.BreachedBy)
				v.BreachedBy = &b
			}
			v.Status = st.Status()
		}
		t.TimerViews = append(t.TimerViews, v)
	}
}
