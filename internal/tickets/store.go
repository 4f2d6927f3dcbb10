package tickets

import (
	"context"
	"time"
)

// Store keeps tickets. The SQLite implementation (tickets/sqlite) is the
// default; a PostgreSQL one can follow for several collectors sharing tickets.
type Store interface {
	// Update runs fn in a write transaction and commits it before returning
	// nil. Writes are serialised; concurrent Updates may share one commit
	// (group commit), each isolated by a savepoint: an fn that returns an
	// error leaves no trace. fn must not keep tx after it returns.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// Get returns a ticket with timers, parts, affected devices and events.
	Get(ctx context.Context, id int64) (*Ticket, error)
	// List returns tickets (without events) matching f, newest first.
	List(ctx context.Context, f Filter) ([]Ticket, error)
	// RunningTimers returns the tickets in an active state that have at least
	// one started, unmet timer, with their timers (no events).
	RunningTimers(ctx context.Context) ([]Ticket, error)
	// PendingNotices returns the notices claimed but not yet finished.
	PendingNotices(ctx context.Context) ([]Notice, error)
	Close() error
}

// Tx is what an Update may do. Reads see the transaction's own writes.
type Tx interface {
	// Get is Store.Get inside the transaction (events included).
	Get(id int64) (*Ticket, error)
	// LatestByGroup returns the newest ticket with the group key, or nil.
	LatestByGroup(key string) (*Ticket, error)
	// ActiveReachability returns the newest ticket of device that is a
	// reachability fault in an active state, or nil.
	ActiveReachability(device string) (*Ticket, error)
	// Alert returns what is known of an alert fingerprint, or nil.
	Alert(fingerprint string) (*AlertRecord, error)
	// PutAlert inserts or replaces an alert record.
	PutAlert(r AlertRecord) error
	// FiringAlerts counts the firing, non-affected alerts attached to a ticket
	// (an alert whose data vanished counts: its state is unknown).
	FiringAlerts(ticketID int64) (int, error)
	// UnknownAlerts counts the alerts of a ticket whose data vanished.
	UnknownAlerts(ticketID int64) (int, error)
	// UnknownTickets returns the active tickets of device marked unknown and
	// not yet linked to a reachability ticket, oldest first, with timers.
	UnknownTickets(device string) ([]*Ticket, error)
	// Insert stores a new ticket with its timers and sets t.ID.
	Insert(t *Ticket) error
	// Save updates a ticket's fields and its timers' start and met times.
	Save(t *Ticket) error
	// AddEvent appends an event (and its audit record) to a ticket.
	AddEvent(ticketID int64, e Event) error
	// AddPart records a replaced part and returns its number in the register.
	AddPart(ticketID int64, p Part) (int64, error)
	// SetPartRepair stores a part's repair fields (RepairKind, RepairOut,
	// RepairBack); ErrNotFound when the part is not the ticket's.
	SetPartRepair(ticketID int64, p Part) error
	// InsertComplaint stores a new complaint and returns its number.
	InsertComplaint(c Complaint) (int64, error)
	// Complaint reads a complaint in the transaction (ErrNotFound).
	Complaint(id int64) (*Complaint, error)
	// SaveComplaint stores a complaint's reply and closing.
	SaveComplaint(c Complaint) error
	// AddAffected records a child device attached to the ticket.
	AddAffected(ticketID int64, a Affected) error
	// ClaimNotice records a notice before it is sent; false when its key was
	// already claimed (it was or is being sent).
	ClaimNotice(n Notice) (bool, error)
	// FinishNotice records the outcome of a claimed notice.
	FinishNotice(key string, state NoticeState, at time.Time) error
}

// AlertRecord is the last known state of one alert fingerprint.
type AlertRecord struct {
	Fingerprint string
	TicketID    int64 // 0: seen resolved before any firing, no ticket
	Firing      bool
	Affected    bool // attached to a parent's ticket as an affected device
	// Unknown: the rule engine ended the alert because its data vanished
	// (alert.AnnotationDataAbsent); it still counts as firing until fresh
	// data resolves it or shows it firing.
	Unknown  bool
	StartsAt time.Time
	EndsAt   time.Time // when resolved
	LastSeen time.Time
}

// Filter selects tickets for List. Zero fields do not filter.
type Filter struct {
	States []State
	Level  Level
	Site   string
	// Sites, when not empty, keeps only tickets of these sites (a customer
	// account's sites).
	Sites    []string
	Device   string
	Category Category
	From     time.Time // opened at or after
	To       time.Time // opened before
	Limit    int       // default 100, at most 1000
	Offset   int
}

// NoticeState is where a notice is.
type NoticeState string

// Notice states.
const (
	NoticePending NoticeState = "pending" // claimed, sending (or interrupted by a crash)
	NoticeSent    NoticeState = "sent"
	NoticeFailed  NoticeState = "failed"
	// NoticeCancelled: not sent because it no longer applied when its turn
	// came (a complaint answered before its overdue notice went out).
	NoticeCancelled NoticeState = "cancelled"
)

// Notice is one warning or escalation to send once.
type Notice struct {
	Key      string // "<ticket>/<timer>/<step>", unique
	TicketID int64  // 0: a complaint notice not about a ticket
	// ComplaintID is the complaint of a complaint notice (0: a ticket notice).
	ComplaintID int64
	Timer       string
	Step        int
	Kind        string // warn, breach, escalate
	Role        string
	DueAt       time.Time
	State       NoticeState
}
