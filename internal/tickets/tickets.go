package tickets

import (
	"errors"
	"time"

	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/sla"
)

// Level is a fault level I–IV; the classify package owns it.
type Level = classify.Level

// Category is an equipment category (派单类别); the classify package owns it.
type Category = classify.Category

// State is where a ticket is in its life.
type State string

// Ticket states.
const (
	StateOpen         State = "open"
	StateAcknowledged State = "acknowledged"
	StateDispatched   State = "dispatched"
	StateOnSite       State = "on_site"
	StateRecovered    State = "recovered"
	StateResolved     State = "resolved"
	// StateConfirmed: the customer accepted the fix (用户确认).
	StateConfirmed State = "confirmed"
	StateClosed    State = "closed"
	StateReopened  State = "reopened"
	StateCancelled State = "cancelled"
)

var stateChinese = map[State]string{
	StateOpen: "待响应", StateAcknowledged: "已响应", StateDispatched: "已派单", StateOnSite: "已到场",
	StateRecovered: "已恢复", StateResolved: "已修复", StateConfirmed: "已确认", StateClosed: "已关闭", StateReopened: "重新打开",
	StateCancelled: "已取消",
}

// States lists every state.
func States() []State {
	return []State{StateOpen, StateAcknowledged, StateDispatched, StateOnSite, StateRecovered,
		StateResolved, StateConfirmed, StateClosed, StateReopened, StateCancelled}
}

// Valid reports whether s is a known state.
func (s State) Valid() bool { _, ok := stateChinese[s]; return ok }

// Chinese returns the state's name on screen.
func (s State) Chinese() string { return stateChinese[s] }

// Final reports whether no alert can change a ticket in s any more except by
// reopening it (closed, cancelled).
func (s State) Final() bool { return s == StateClosed || s == StateCancelled }

// Active reports whether the fault is still being handled (not recovered,
// resolved, closed or cancelled).
func (s State) Active() bool {
	switch s {
	case StateOpen, StateAcknowledged, StateDispatched, StateOnSite, StateReopened:
		return true
	}
	return false
}

// Timer is one SLA clock on a ticket as stored: the spec it was opened with
// (so a later profile edit does not move old deadlines), the stored time of its
// anchor event (nil until that event happens) and the time it was met.
type Timer struct {
	Spec      sla.TimerSpec
	StartedAt *time.Time
	MetAt     *time.Time
	// SpecChanged makes Save store Spec too (the ticket's level was raised
	// and the timer re-derived for the new level); never loaded.
	SpecChanged bool
	// EndedAt is when the timer stopped without its milestone (the ticket was
	// resolved, closed or cancelled first).
	EndedAt *time.Time
	// Paused is the calendar time of the timer's pauses that are over;
	// PausedAt the start of the pause in progress.
	Paused   time.Duration
	PausedAt *time.Time
}

// Run returns what sla.EvaluateRun needs (the timer must have started).
func (t Timer) Run() sla.Run {
	return sla.Run{Started: *t.StartedAt, Met: t.MetAt, Ended: t.EndedAt, Paused: t.Paused, PausedSince: t.PausedAt}
}

// Stopped reports whether the timer was met or ended.
func (t Timer) Stopped() bool { return t.MetAt != nil || t.EndedAt != nil }

// Running reports whether the timer has started and not stopped.
func (t Timer) Running() bool { return t.StartedAt != nil && !t.Stopped() }

// Name returns the timer's kind ("respond", "resolve", …).
func (t Timer) Name() string { return string(t.Spec.Kind) }

// TimerView is a timer evaluated at one instant, as the API shows it.
type TimerView struct {
	Name      string     `json:"name"`
	NameZH    string     `json:"name_zh"`
	Target    Dur        `json:"target"`
	Calendar  string     `json:"calendar"`
	StartedAt *time.Time `json:"started_at,omitempty"`
	WarnAt    *time.Time `json:"warn_at,omitempty"`
	Deadline  *time.Time `json:"deadline,omitempty"`
	// Remaining is the calendar time left (negative when past) while running.
	Remaining *Dur       `json:"remaining,omitempty"`
	MetAt     *time.Time `json:"met_at,omitempty"`
	// EndedAt is when the timer stopped without its milestone.
	EndedAt  *time.Time `json:"ended_at,omitempty"`
	Met      bool       `json:"met"`
	Breached bool       `json:"breached"`
	// PausedFor is the calendar time an agreed pause held the timer.
	PausedFor *Dur `json:"paused_for,omitempty"`
	// WindowFor is the calendar time maintenance windows held the timer
	// outside pauses (repair timers only: sla.Windowed).
	WindowFor *Dur `json:"window_for,omitempty"`
	// Counted is the time that counted toward the target up to the stop
	// or now (sla.Counted); nil while waiting.
	Counted *Dur `json:"counted,omitempty"`
	// BreachedBy is the calendar time past the deadline, when breached.
	BreachedBy *Dur `json:"breached_by,omitempty"`
	// Status is waiting (anchor not reached), running, warning, paused, met,
	// breached or not_applicable (ended without its milestone before its
	// deadline, or never started on a closed or cancelled ticket).
	Status string `json:"status"`
}

// Dur is a duration that marshals to JSON as a Go duration string ("30m0s").
type Dur time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Dur) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Dur) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Dur(v)
	return nil
}

// Event is one line of a ticket's history: a transition, an alert update, a
// notice attempt, a note.
type Event struct {
	ID    int64     `json:"id"`
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	// By is who did the work on site when not the actor (the token's
	// owner), e.g. the engineer a dispatcher records the arrival for.
	By     string `json:"by,omitempty"`
	Kind   string `json:"kind"`
	From   State  `json:"from,omitempty"`
	To     State  `json:"to,omitempty"`
	Note   string `json:"note,omitempty"`
	Detail string `json:"detail,omitempty"` // JSON, kind-specific
}

// Event kinds besides actions.
const (
	EventOpened    = "opened"
	EventAlert     = "alert"     // a firing alert joined or updated the ticket
	EventAffected  = "affected"  // a child device was attached
	EventRecurred  = "recurred"  // the fault came back within the reopen window
	EventNotice    = "notice"    // a notice attempt (warning or escalation)
	EventAutoClose = "autoclose" // closed by policy on recovery
	EventUnknown   = "unknown"   // an alert's data vanished: 设备失联/状态未知
	EventKnown     = "known"     // fresh data again: the state is known
	EventLinked    = "linked"    // linked to (or from) the device's reachability ticket
	EventLevel     = "level"     // the level was raised by a worse alert joining
)

// UnknownMark is what a ticket marked unknown shows (设备失联/状态未知).
const UnknownMark = "设备失联/状态未知 device silent, state unknown"

// Part is a replaced spare part (备件更换记录).
type Part struct {
	// ID is the part's number in the register (set when stored).
	ID       int64     `json:"id,omitempty"`
	Part     string    `json:"part"`
	Serial   string    `json:"serial"`
	Location string    `json:"location"`
	Cause    string    `json:"cause"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	// By is who replaced the part when not the actor.
	By string `json:"by,omitempty"`
	// RepairKind, RepairOut and RepairBack: the failed unit was sent away
	// for repair (repair_out) and came back (repair_back); seed 003.
	RepairKind RepairKind `json:"repair_kind,omitempty"`
	RepairOut  *time.Time `json:"repair_out,omitempty"`
	RepairBack *time.Time `json:"repair_back,omitempty"`
}

// Pause is an agreed pause of a ticket's pausable timers (挂起).
type Pause struct {
	Since time.Time `json:"since"`
	// Reason: waiting for the customer's consent, site access, a vendor part.
	Reason string `json:"reason"`
	// AgreedBy is who on the customer's side agreed to the pause.
	AgreedBy string `json:"agreed_by"`
}

// Affected is a device attached to the ticket of its parent's reachability fault.
type Affected struct {
	Device    string    `json:"device"`
	Alertname string    `json:"alertname"`
	At        time.Time `json:"at"`
}

// Ticket is one fault (故障工单).
type Ticket struct {
	ID          int64             `json:"id"`
	Level       Level             `json:"level"`
	State       State             `json:"state"`
	Title       string            `json:"title"`
	Description string            `json:"description,omitempty"`
	Device      string            `json:"device"`
	Site        string            `json:"site"`
	Category    Category          `json:"category"`
	Reach       bool              `json:"reachability,omitempty"` // a reachability fault (device down)
	Group       string            `json:"group,omitempty"`        // handling group
	Source      string            `json:"source"`
	GroupKey    string            `json:"group_key,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Reporter    string            `json:"reporter,omitempty"`
	Assignee    string            `json:"assignee,omitempty"`
	Cause       string            `json:"cause,omitempty"`
	Fix         string            `json:"fix,omitempty"`
	OpenedAt    time.Time         `json:"opened_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
	RecoveredAt *time.Time        `json:"recovered_at,omitempty"`
	ResolvedAt  *time.Time        `json:"resolved_at,omitempty"`
	ClosedAt    *time.Time        `json:"closed_at,omitempty"`
	LastAlertAt *time.Time        `json:"last_alert_at,omitempty"`
	// UnknownSince is set while an alert of the ticket has ended because its
	// data vanished (the device fell silent): the fault's state is unknown
	// (设备失联/状态未知). Cleared when fresh data comes back.
	UnknownSince *time.Time `json:"unknown_since,omitempty"`
	// Unknown is UnknownMark while UnknownSince is set (for the console).
	Unknown string `json:"unknown,omitempty"`
	// LinkedTo is the device's reachability ticket this one waits on (0: none).
	LinkedTo int64 `json:"linked_ticket,omitempty"`
	// Profile is the SLA profile the ticket's timers come from.
	Profile string `json:"profile,omitempty"`
	// Pause is the agreed pause in progress (挂起), nil when none.
	Pause *Pause `json:"pause,omitempty"`
	// PausedTotal is the wall-clock time of the pauses that are over.
	PausedTotal Dur `json:"paused_total,omitempty"`
	// Satisfaction is the customer's rating at the follow-up (1–5; 0 none).
	Satisfaction int         `json:"satisfaction,omitempty"`
	Timers       []Timer     `json:"-"`
	TimerViews   []TimerView `json:"timers"`
	Parts        []Part      `json:"parts,omitempty"`
	Affected     []Affected  `json:"affected,omitempty"`
	Events       []Event     `json:"events,omitempty"`
	// Photos are the stored names of the photos filed with the ticket
	// (from its events; only when the events are loaded).
	Photos []string `json:"photos,omitempty"`
}

// Timer returns the named timer, or nil.
func (t *Ticket) Timer(name string) *Timer {
	for i := range t.Timers {
		if t.Timers[i].Name() == name {
			return &t.Timers[i]
		}
	}
	return nil
}

// Errors the service returns; the API maps them to status codes.
var (
	ErrNotFound          = errors.New("ticket not found")
	ErrInvalidTransition = errors.New("invalid transition")
	ErrInvalid           = errors.New("invalid input")
)

// Timer kinds, as the sla package names them.
const (
	TimerRespond  = string(sla.Respond)
	TimerDispatch = string(sla.Dispatch)
	TimerOnSite   = string(sla.OnSite)
	TimerDiagnose = string(sla.Diagnose)
	TimerPlan     = string(sla.Plan)
	TimerResolve  = string(sla.Resolve)
	TimerSpare    = string(sla.Spare)
	TimerReport   = string(sla.Report)
)
