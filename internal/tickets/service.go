package tickets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/sla"
)

// Classifier grades alert labels; *classify.Rules implements it.
type Classifier interface {
	Classify(labels map[string]string) classify.Result
}

// Policy gives a new ticket its SLA profile and timers; *sla.Selection
// (several profiles chosen by matchers) and *sla.Profile (one) implement it.
type Policy interface {
	TimersFor(f sla.Facts) (profile string, specs []sla.TimerSpec)
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
	// GroupBy are the labels forming a ticket's group key; default device, family.
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
	// Notices makes opening and dispatching a ticket record a notice for the
	// escalator to send (new ticket by level, dispatch to the assignee); set
	// it when notify channels are configured.
	Notices bool
	// FiringCache bounds how many firing alert fingerprints are remembered in
	// memory so that repeats skip the store (default 100,000; negative: off).
	FiringCache int
	// ComplaintReply is the time a complaint is answered in
	// (DefaultComplaintReply when 0), counted 7×24 from filing.
	ComplaintReply time.Duration
	// Silencer holds back the alerts a maintenance window covers (no
	// ticket, no notice) and pauses escalation of covered tickets (silenced.go).
	Silencer Silencer
	// Windows are the maintenance windows that hold the repair timers of
	// the tickets they cover (windows.go); nil: none.
	Windows WindowSource
}

// defaultReachability are the alertnames treated as device-down faults: the
// rules of family "reachability" in rules/alerts (internal/devtools/catalog's tests
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
	// wake tells the escalator that notices were claimed (buffer 1).
	wake chan struct{}
	hub  *changeHub // committed changes to subscribers (changes.go)
	// lists keeps the store's answers to List until the next change.
	lists listCache
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
		o.GroupBy = []string{"device", "family"}
	}
	if o.ReachabilityAlerts == nil {
		o.ReachabilityAlerts = DefaultReachabilityAlerts()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ComplaintReply <= 0 {
		o.ComplaintReply = DefaultComplaintReply
	}
	s := &Service{o: o, wake: make(chan struct{}, 1), hub: &changeHub{subs: map[*Subscription]struct{}{}}}
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

// update runs fn in a store transaction, then copies the committed audit
// records to the audit sink.
func (s *Service) update(ctx context.Context, fn func(tx *auditTx) error) error {
	var recs []AuditRecord
	var puts []cacheWrite
	var wrote bool
	err := s.o.Store.Update(ctx, func(tx Tx) error {
		at := &auditTx{Tx: tx, cache: s.cache}
		err := fn(at)
		puts = at.puts // also on error: their cache stamps are released below
		if err != nil {
			return err
		}
		recs, wrote = at.recs, at.wrote
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
	if len(recs) > 0 {
		s.hub.publish(recs)
	} else if wrote {
		s.hub.seq.Add(1) // a change without events: no subscriber to tell
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
	// wrote: the transaction changed a ticket (Insert, Save, AddPart,
	// AddAffected), with or without an event; the change sequence then
	// advances, so that List's cache (listcache.go) never outlives it.
	wrote bool
}

func (a *auditTx) Insert(t *Ticket) error { a.wrote = true; return a.Tx.Insert(t) }
func (a *auditTx) Save(t *Ticket) error   { a.wrote = true; return a.Tx.Save(t) }
func (a *auditTx) AddAffected(id int64, x Affected) error {
	a.wrote = true
	return a.Tx.AddAffected(id, x)
}
func (a *auditTx) AddPart(id int64, p Part) (int64, error) {
	a.wrote = true
	return a.Tx.AddPart(id, p)
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
