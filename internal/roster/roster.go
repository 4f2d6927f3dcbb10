package roster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/notify"
)

// Accounts looks up a person's account (*accounts.Store).
type Accounts interface {
	Get(ctx context.Context, name string) (accounts.User, error)
}

// Options configure New.
type Options struct {
	// Config is the validated `roster:` section.
	Config Config
	// Location is the zone of the handover time (global.timezone); Asia/Shanghai when nil.
	Location *time.Location
	// Holidays mark the statutory days off (the holiday rota); none when nil.
	Holidays *calendar.Holidays
	// Store keeps the overrides added through the API; nil: none can be added.
	Store *Store
	// Accounts resolve a name to a person's addresses; nil: names only.
	Accounts Accounts
	Clock    clockwork.Clock
	Logger   *slog.Logger
}

// Errors of the roster.
var (
	ErrNoStore  = errors.New("roster: no override store")
	ErrNotFound = errors.New("roster: no such override")
	ErrInvalid  = errors.New("roster: invalid override")
)

// Source says where a shift's duty comes from.
type Source string

// Sources of a duty, weakest first.
const (
	FromWeekly   Source = "weekly"
	FromHoliday  Source = "holiday"
	FromOverride Source = "override"
)

// Duty is who is on duty in one role for one shift.
type Duty struct {
	Role   Role     `json:"role"`
	Users  []string `json:"users"`
	Source Source   `json:"source"`
	// OverrideID is the stored override's id (0 for one of the config);
	// Reason its reason.
	OverrideID int64  `json:"override_id,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

// Shift is one day's shift, from its handover to the next.
type Shift struct {
	Date  calendar.Date
	Start time.Time
	End   time.Time
	// Holiday names the statutory holiday when the day is a day off.
	Holiday string
	// Duty has one entry per role with someone on duty, in Roles order.
	Duty []Duty
}

// Of returns the duty of role r (ok=false when nobody is named).
func (s *Shift) Of(r Role) (Duty, bool) {
	for _, d := range s.Duty {
		if d.Role == r {
			return d, true
		}
	}
	return Duty{}, false
}

// Roster answers who is on duty when. It is safe for concurrent use.
type Roster struct {
	o Options

	mu     sync.RWMutex
	stored []Override // from the store, by id
}

// New builds the roster and loads the stored overrides.
func New(ctx context.Context, o Options) (*Roster, error) {
	if o.Location == nil {
		loc, err := time.LoadLocation(calendar.DefaultZone)
		if err != nil {
			loc = time.FixedZone("CST", 8*3600)
		}
		o.Location = loc
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Config.handover == 0 {
		h, err := parseHandover(o.Config.handoverText())
		if err != nil {
			return nil, fmt.Errorf("roster: %w", err)
		}
		o.Config.handover = h
	}
	r := &Roster{o: o}
	if err := r.reload(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Roster) reload(ctx context.Context) error {
	if r.o.Store == nil {
		return nil
	}
	ovs, err := r.o.Store.List(ctx)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.stored = ovs
	r.mu.Unlock()
	return nil
}

// Location is the zone of the shifts.
func (r *Roster) Location() *time.Location { return r.o.Location }

// Handover is the handover time as configured (HH:MM).
func (r *Roster) Handover() string { return r.o.Config.handoverText() }

// CanOverride reports whether overrides can be added (a store is open).
func (r *Roster) CanOverride() bool { return r.o.Store != nil }

// ShiftDate returns the day whose shift t falls in: before the handover
// time, the previous day's.
func (r *Roster) ShiftDate(t time.Time) calendar.Date {
	lt := t.In(r.o.Location)
	d := calendar.DateOf(lt)
	if lt.Sub(r.start(d)) < 0 {
		return d.AddDays(-1)
	}
	return d
}

// start is the handover that begins day d's shift.
func (r *Roster) start(d calendar.Date) time.Time {
	h := r.o.Config.handover
	return time.Date(d.Year, d.Month, d.Day, int(h/time.Hour), int(h%time.Hour/time.Minute), 0, 0, r.o.Location)
}

// Overrides returns every override: the config's, then the stored ones by id.
func (r *Roster) Overrides() []Override {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return append(slices.Clone(r.o.Config.Overrides), r.stored...)
}

// Shift returns day d's shift.
func (r *Roster) Shift(d calendar.Date) Shift {
	s := Shift{Date: d, Start: r.start(d), End: r.start(d.AddDays(1))}
	kind, name := r.o.Holidays.Kind(d)
	if kind == calendar.Off {
		s.Holiday = name
	}
	ovs := r.Overrides()
	for _, role := range Roles() {
		duty := r.base(d, kind, role)
		for i := len(ovs) - 1; i >= 0; i-- {
			if ovs[i].Covers(d, role) {
				duty = Duty{Role: role, Users: slices.Clone(ovs[i].Users), Source: FromOverride, OverrideID: ovs[i].ID, Reason: ovs[i].Reason}
				break
			}
		}
		if len(duty.Users) > 0 {
			s.Duty = append(s.Duty, duty)
		}
	}
	return s
}

// base is the rota's duty (holiday, else weekly) of day d in role.
func (r *Roster) base(d calendar.Date, kind calendar.DayKind, role Role) Duty {
	if kind == calendar.Off {
		if u := r.o.Config.Holidays[role]; len(u) > 0 {
			return Duty{Role: role, Users: slices.Clone(u), Source: FromHoliday}
		}
	}
	w := r.o.Config.Weekly
	for name, wd := range weekdays {
		if wd == d.Weekday() {
			if rota, ok := w[name]; ok {
				return Duty{Role: role, Users: slices.Clone(rota[role]), Source: FromWeekly}
			}
		}
	}
	return Duty{Role: role, Users: slices.Clone(w[dailyKey][role]), Source: FromWeekly}
}

// Shifts returns the shifts of the days from … to (both included; at most
// 366 days).
func (r *Roster) Shifts(from, to calendar.Date) []Shift {
	var out []Shift
	for d := from; !to.Before(d) && len(out) < 366; d = d.AddDays(1) {
		out = append(out, r.Shift(d))
	}
	return out
}

// OnDuty returns the accounts on duty in role at t.
func (r *Roster) OnDuty(t time.Time, role Role) []string {
	s := r.Shift(r.ShiftDate(t))
	d, _ := s.Of(role)
	return d.Users
}

// Person is an account on duty with the name and addresses of its account;
// Known is false when no such account exists (yet).
type Person struct {
	notify.Recipient
	Known bool
}

// People returns the people on duty in role at t, resolved through the
// account store.
func (r *Roster) People(ctx context.Context, t time.Time, role Role) ([]Person, error) {
	var out []Person
	for _, name := range r.OnDuty(t, role) {
		p, err := r.person(ctx, name)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func (r *Roster) person(ctx context.Context, name string) (Person, error) {
	p := Person{Recipient: notify.Recipient{User: name}}
	if r.o.Accounts == nil {
		return p, nil
	}
	u, err := r.o.Accounts.Get(ctx, name)
	switch {
	case errors.Is(err, accounts.ErrNotFound):
		return p, nil
	case err != nil:
		return Person{}, fmt.Errorf("roster: account %s: %w", name, err)
	}
	if u.Disabled {
		return p, nil
	}
	return Person{Known: true, Recipient: notify.Recipient{User: u.Name, Name: u.Label(), Phone: u.Phone, Email: u.Email,
		WeComID: u.WeComID, DingTalkID: u.DingTalkID}}, nil
}

// Recipients returns whom a notice to role (an escalation role name) at t
// goes to: the known, enabled accounts on duty. None (nil) when the roster
// has nobody for the role or the role is not on the roster: the notice
// then goes as without a roster.
func (r *Roster) Recipients(ctx context.Context, t time.Time, role string) ([]notify.Recipient, error) {
	if !Role(role).Valid() {
		return nil, nil
	}
	ps, err := r.People(ctx, t, Role(role))
	if err != nil {
		return nil, err
	}
	var out []notify.Recipient
	for _, p := range ps {
		if p.Known {
			out = append(out, p.Recipient)
		}
	}
	return out, nil
}

// Problem is a name on the roster without an enabled account.
type Problem struct {
	// Where is the place in the roster: "roster.weekly.monday.engineer
	// (line 12)" or "override #3".
	Where string `json:"where"`
	User  string `json:"user"`
	// Disabled: the account exists but is disabled.
	Disabled bool `json:"disabled,omitempty"`
}

// Problems names the accounts on the roster that do not exist or are
// disabled: a warning at start and on the roster page (accounts may be
// created after the roster is written).
func (r *Roster) Problems(ctx context.Context) ([]Problem, error) {
	if r.o.Accounts == nil {
		return nil, nil
	}
	var out []Problem
	check := func(where string, users []string) error {
		for _, u := range users {
			acc, err := r.o.Accounts.Get(ctx, u)
			switch {
			case errors.Is(err, accounts.ErrNotFound):
				out = append(out, Problem{Where: where, User: u})
			case err != nil:
				return fmt.Errorf("roster: account %s: %w", u, err)
			case acc.Disabled:
				out = append(out, Problem{Where: where, User: u, Disabled: true})
			}
		}
		return nil
	}
	at := func(key string) string {
		if l := r.o.Config.line(key); l > 0 {
			return fmt.Sprintf("roster.%s (line %d)", key, l)
		}
		return "roster." + key
	}
	days := make([]string, 0, len(r.o.Config.Weekly))
	for d := range r.o.Config.Weekly {
		days = append(days, d)
	}
	slices.Sort(days)
	for _, d := range days {
		for _, role := range Roles() {
			if err := check(at("weekly."+d+"."+string(role)), r.o.Config.Weekly[d][role]); err != nil {
				return nil, err
			}
		}
	}
	for _, role := range Roles() {
		if err := check(at("holidays."+string(role)), r.o.Config.Holidays[role]); err != nil {
			return nil, err
		}
	}
	for i, o := range r.Overrides() {
		where := at(fmt.Sprintf("overrides[%d]", i))
		if o.ID != 0 {
			where = fmt.Sprintf("override #%d", o.ID)
		}
		if err := check(where, o.Users); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AddOverride stores an override (checked) and records it in the audit table.
func (r *Roster) AddOverride(ctx context.Context, o Override, actor string) (Override, error) {
	if r.o.Store == nil {
		return Override{}, ErrNoStore
	}
	if err := o.Check(); err != nil {
		return Override{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	o.CreatedBy, o.CreatedAt = actor, r.o.Clock.Now()
	saved, err := r.o.Store.Add(ctx, o)
	if err != nil {
		return Override{}, err
	}
	r.o.Logger.Info("duty roster override added", "id", saved.ID, "role", saved.Role, "from", saved.From.String(),
		"to", saved.Last().String(), "users", saved.Users, "by", actor)
	return saved, r.reload(ctx)
}

// RemoveOverride removes a stored override and records it in the audit table.
func (r *Roster) RemoveOverride(ctx context.Context, id int64, actor string) error {
	if r.o.Store == nil {
		return ErrNoStore
	}
	if err := r.o.Store.Remove(ctx, id, actor, r.o.Clock.Now()); err != nil {
		return err
	}
	r.o.Logger.Info("duty roster override removed", "id", id, "by", actor)
	return r.reload(ctx)
}
