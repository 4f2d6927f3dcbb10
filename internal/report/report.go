package report

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/common/model"

	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/registry"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// TicketLister lists tickets and evaluates their SLA timers at an instant
// (View fills TimerViews); *tickets.Service implements it.
type TicketLister interface {
	List(ctx context.Context, f tickets.Filter) ([]tickets.Ticket, error)
	Get(ctx context.Context, id int64) (*tickets.Ticket, error)
	View(t *tickets.Ticket, at time.Time)
	// FoldedPause is what a pause over [since, until) added to the timer's
	// folded pauses (to rewind a pause that straddles a period's end).
	FoldedPause(t *tickets.Ticket, tm tickets.Timer, since, until time.Time) time.Duration
}

// TicketHistory reads ticket events and replaced parts by time;
// *sqlite.Store (internal/tickets/sqlite) implements it.
type TicketHistory interface {
	EventsBetween(ctx context.Context, from, to time.Time) ([]tickets.TicketEvent, error)
	PartsBetween(ctx context.Context, from, to time.Time) ([]tickets.TicketPart, error)
}

// InspectionStore reads inspection records; *inspect.Store implements it.
type InspectionStore interface {
	List(ctx context.Context, f inspect.Filter) ([]inspect.Summary, error)
	Get(ctx context.Context, id int64) (*inspect.Inspection, error)
}

// Querier runs PromQL; store.Querier (embedded engine or HTTP API) implements it.
type Querier interface {
	Query(ctx context.Context, expr string, t time.Time) (model.Value, error)
	QueryRange(ctx context.Context, expr string, start, end time.Time, step time.Duration) (model.Value, error)
}

// AgentLister lists registered agents; *registry.Registry implements it.
type AgentLister interface {
	Agents() []registry.Agent
}

// Sources are where the reports read from. A nil source leaves its sections
// empty (and says so in the document) rather than failing.
type Sources struct {
	Tickets     TicketLister
	History     TicketHistory
	Inspections InspectionStore
	Metrics     Querier
	// Series, when set, is the TSDB itself: availability is then read from
	// the raw samples instead of through PromQL range queries (much faster).
	Series    SeriesQueryable
	Inventory *inventory.Inventory
	Agents    AgentLister
	// Templates are the inspection templates; their schedules give the runs due.
	Templates []*inspect.Template
	// Rollups, when set, hold the availability of whole past days (kept far
	// longer than raw samples); days they lack are read from the TSDB.
	Rollups DayRollups
	// Silences are the maintenance windows: the monthly report lists them
	// and availability leaves them out (nil: none known).
	Silences WindowLister
	// Anchors, when set, gives the record chains' heads printed on the
	// monthly report (anchor.go).
	Anchors AnchorSource
	// Complaints, when set, are counted on the monthly report (投诉: filed,
	// answered in time, late).
	Complaints ComplaintLister
}

// ComplaintLister lists complaints (投诉) evaluated now; *tickets.Service
// implements it.
type ComplaintLister interface {
	Complaints(ctx context.Context, f tickets.ComplaintFilter) ([]tickets.Complaint, error)
}

// DayRollups are the per-device daily availability rows; *rollup.Store
// implements it. Days returns, for each day of days (DayLayout) that was
// rolled up, its rows by device.
type DayRollups interface {
	Days(ctx context.Context, days []string) (map[string]map[string]*DeviceAvail, error)
}

// DayLayout is how a calendar day is named (in the report's location).
const DayLayout = "2006-01-02"

// Options configure a Reporter.
type Options struct {
	Bureau   string         // printed in every heading
	Location *time.Location // calendar.DefaultZone when nil
	Clock    clockwork.Clock
	// UpSelector is the series whose average is availability; default
	// roomwatch_probe_up{probe="icmp"} (1 up, 0 down, one per device).
	UpSelector string
	// Progress, when set, is told what a long run is doing.
	Progress func(msg string)
}

// Reporter gathers and builds the reports.
type Reporter struct {
	src Sources
	o   Options
	cls map[string]string // device (or range member) → class
	inv map[string]inventory.Target
}

// DefaultBureau is the customer's name printed on check sheets and reports
// when the configuration names none; the collector's configuration default
// is the same constant.
const DefaultBureau = "县公安局"

// DefaultUpSelector is the availability series.
const DefaultUpSelector = `roomwatch_probe_up{probe="icmp"}`

// New returns a Reporter.
func New(src Sources, o Options) (*Reporter, error) {
	if o.Location == nil {
		loc, err := time.LoadLocation(calendar.DefaultZone)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		o.Location = loc
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.UpSelector == "" {
		o.UpSelector = DefaultUpSelector
	}
	if o.Bureau == "" {
		o.Bureau = DefaultBureau
	}
	r := &Reporter{src: src, o: o, cls: map[string]string{}, inv: map[string]inventory.Target{}}
	if src.Inventory != nil {
		ts, err := src.Inventory.Targets()
		if err != nil {
			return nil, fmt.Errorf("report: inventory: %w", err)
		}
		for _, t := range ts {
			r.cls[t.Name] = string(t.Device.Class)
			r.inv[t.Name] = t
		}
	}
	return r, nil
}

func (r *Reporter) progress(format string, args ...any) {
	if r.o.Progress != nil {
		r.o.Progress(fmt.Sprintf(format, args...))
	}
}

// classOf returns a ticket's device class: the inventory's, else its class label.
func (r *Reporter) classOf(t *tickets.Ticket) string {
	if c := r.cls[t.Device]; c != "" {
		return c
	}
	if c := t.Labels["class"]; c != "" {
		return c
	}
	return "other"
}

// Period is a report's half-open time range [Start, End) in the report's zone.
type Period struct {
	Start, End time.Time
	Label      string // 2026-11-21, 2026-11, 2026Q4
}

// ErrBadPeriod is returned for a date, month or quarter that does not parse.
var ErrBadPeriod = errors.New("bad report period")

// Day returns the period of one calendar day ("2026-11-21") in loc.
func Day(s string, loc *time.Location) (Period, error) {
	t, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil {
		return Period{}, fmt.Errorf("%w: date %q: want YYYY-MM-DD", ErrBadPeriod, s)
	}
	return Period{Start: t, End: t.AddDate(0, 0, 1), Label: s}, nil
}

// Month returns the period of a calendar month ("2026-11") in loc.
func Month(s string, loc *time.Location) (Period, error) {
	t, err := time.ParseInLocation("2006-01", s, loc)
	if err != nil {
		return Period{}, fmt.Errorf("%w: month %q: want YYYY-MM", ErrBadPeriod, s)
	}
	return Period{Start: t, End: t.AddDate(0, 1, 0), Label: s}, nil
}

// Quarter returns the period of a quarter ("2026Q4" or "2026-Q4") in loc.
func Quarter(s string, loc *time.Location) (Period, error) {
	bad := fmt.Errorf("%w: quarter %q: want YYYYQn, e.g. 2026Q4", ErrBadPeriod, s)
	u := strings.ToUpper(strings.ReplaceAll(s, "-", ""))
	y, q, ok := strings.Cut(u, "Q")
	if !ok || len(y) != 4 || len(q) != 1 || q[0] < '1' || q[0] > '4' {
		return Period{}, bad
	}
	t, err := time.ParseInLocation("2006", y, loc)
	if err != nil {
		return Period{}, bad
	}
	start := t.AddDate(0, 3*int(q[0]-'1'), 0)
	return Period{Start: start, End: start.AddDate(0, 3, 0), Label: y + "Q" + q}, nil
}

// Week returns the period of an ISO 8601 week ("2026-W49", Monday to
// Sunday) in loc.
func Week(s string, loc *time.Location) (Period, error) {
	bad := fmt.Errorf("%w: week %q: want YYYY-Www, e.g. 2026-W49", ErrBadPeriod, s)
	y, w, ok := strings.Cut(strings.ToUpper(s), "-W")
	if !ok || len(y) != 4 || len(w) != 2 {
		return Period{}, bad
	}
	year, err1 := strconv.Atoi(y)
	week, err2 := strconv.Atoi(w)
	if err1 != nil || err2 != nil || week < 1 || week > 53 {
		return Period{}, bad
	}
	// 4 January is always in week 1; its week's Monday starts week 1.
	jan4 := time.Date(year, 1, 4, 0, 0, 0, 0, loc)
	start := jan4.AddDate(0, 0, -((int(jan4.Weekday())+6)%7)+7*(week-1))
	if yy, ww := start.ISOWeek(); yy != year || ww != week {
		return Period{}, bad // week 53 of a year with 52
	}
	return Period{Start: start, End: start.AddDate(0, 0, 7), Label: fmt.Sprintf("%d-W%02d", year, week)}, nil
}

// Months splits a period into its calendar months.
func (p Period) Months() []Period {
	var out []Period
	for m := p.Start; m.Before(p.End); m = m.AddDate(0, 1, 0) {
		out = append(out, Period{Start: m, End: m.AddDate(0, 1, 0), Label: m.Format("2006-01")})
	}
	return out
}

// listTickets pages through the tickets opened in p, as they stood at the
// period's end (atPeriodEnd).
func (r *Reporter) listTickets(ctx context.Context, p Period) ([]tickets.Ticket, error) {
	if r.src.Tickets == nil {
		return nil, nil
	}
	var out []tickets.Ticket
	const page = 1000
	for off := 0; ; off += page {
		ts, err := r.src.Tickets.List(ctx, tickets.Filter{From: p.Start, To: p.End, Limit: page, Offset: off})
		if err != nil {
			return nil, fmt.Errorf("tickets: %w", err)
		}
		out = append(out, ts...)
		if len(ts) < page {
			break
		}
	}
	// Oldest first.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	if err := r.atPeriodEnd(ctx, out, p); err != nil {
		return nil, err
	}
	return out, nil
}

// listInspections returns the inspection summaries whose period ends in p, oldest first.
func (r *Reporter) listInspections(ctx context.Context, p Period) ([]inspect.Summary, error) {
	if r.src.Inspections == nil {
		return nil, nil
	}
	l, err := r.src.Inspections.List(ctx, inspect.Filter{From: p.Start, To: p.End, Limit: 100000})
	if err != nil {
		return nil, fmt.Errorf("inspections: %w", err)
	}
	for i, j := 0, len(l)-1; i < j; i, j = i+1, j-1 {
		l[i], l[j] = l[j], l[i]
	}
	return l, nil
}

func (r *Reporter) t(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(r.o.Location).Format("2006-01-02 15:04")
}

func (r *Reporter) tp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return r.t(*t)
}

// fmtDur prints a duration for the bureau: 12分钟, 2小时05分, 3天4小时.
func fmtDur(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	m := int64(d.Round(time.Minute) / time.Minute)
	switch {
	case m < 60:
		return fmt.Sprintf("%d分钟", m)
	case m < 24*60:
		return fmt.Sprintf("%d小时%02d分", m/60, m%60)
	}
	return fmt.Sprintf("%d天%d小时", m/(24*60), (m%(24*60))/60)
}

func classZH(c string) string {
	if n := inventory.Class(c).ChineseName(); n != c {
		return n
	}
	if c == "other" {
		return "其他"
	}
	return c
}
