package console

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// openStates are the states of a ticket not yet closed or cancelled.
var openStates = []tickets.State{tickets.StateOpen, tickets.StateAcknowledged, tickets.StateDispatched,
	tickets.StateOnSite, tickets.StateRecovered, tickets.StateResolved, tickets.StateReopened}

// promQuote quotes a label value for PromQL.
func promQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// maySee reports whether u covers site (a user with no sites covers all).
func maySee(u accounts.User, site string) bool {
	return len(u.Sites) == 0 || slices.Contains(u.Sites, site)
}

// byDevice runs an instant query aggregated by device and returns its value per device.
func (c *Console) byDevice(ctx context.Context, expr string) map[string]float64 {
	out := map[string]float64{}
	if c.o.Sources.Metrics == nil {
		return out
	}
	v, err := c.o.Sources.Metrics.Query(ctx, expr, c.o.Clock.Now())
	if err != nil {
		c.o.Logger.Warn("console: query", "expr", expr, "err", err)
		return out
	}
	if vec, ok := v.(model.Vector); ok {
		for _, s := range vec {
			out[string(s.Metric["device"])] = float64(s.Value)
		}
	}
	return out
}

// openTickets lists the open tickets (at most 1000), timers filled.
func (c *Console) openTickets(ctx context.Context, f tickets.Filter) []tickets.Ticket {
	if c.o.Sources.Tickets == nil {
		return nil
	}
	f.States = openStates
	if f.Limit == 0 {
		f.Limit = 1000
	}
	ts, err := c.o.Sources.Tickets.List(ctx, f)
	if err != nil {
		c.o.Logger.Warn("console: tickets", "err", err)
		return nil
	}
	now := c.o.Clock.Now()
	for i := range ts {
		c.o.Sources.Tickets.View(&ts[i], now)
	}
	return ts
}

type deviceRow struct {
	Name, Display, ClassKey, Class, Site, Address string
	State, StateKey                               string // up, down, unknown
	LastCheck                                     string
	OpenTickets                                   int
}

type devicesView struct {
	Absent            bool
	Rows              []deviceRow
	Up, Down, Unknown int
}

func classKey(c inventory.Class) string { return "devices.class." + string(c) }

// rowDetail says what deviceRows fills besides each device's live state:
// the wall needs neither (a query over every device and the open tickets
// saved on each of its computations).
type rowDetail struct {
	LastCheck   bool // LastCheck: the time of the last probe run
	OpenTickets bool // OpenTickets: the device's open tickets
}

// deviceRows is the inventory the user covers with each device's live state.
func (c *Console) deviceRows(ctx context.Context, u accounts.User, want rowDetail) []deviceRow {
	inv := c.o.Sources.Inventory
	if inv == nil {
		return nil
	}
	up := c.byDevice(ctx, `min by (device) (roomwatch_probe_up)`)
	var last map[string]float64
	if want.LastCheck {
		last = c.byDevice(ctx, `max by (device) (timestamp(roomwatch_probe_up))`)
	}
	open := map[string]int{}
	if want.OpenTickets {
		for _, t := range c.openTickets(ctx, tickets.Filter{}) {
			open[t.Device]++
		}
	}
	rows := make([]deviceRow, 0, len(inv.Devices))
	for _, d := range inv.Devices {
		if !maySee(u, d.Site) {
			continue
		}
		row := deviceRow{Name: d.Name, Display: d.DisplayName, Class: string(d.Class), ClassKey: classKey(d.Class),
			Site: d.Site, Address: d.Address, OpenTickets: open[d.Name]}
		if row.Display == "" {
			row.Display = d.Name
		}
		if row.Address == "" {
			row.Address = d.Range
		}
		switch v, ok := up[d.Name]; {
		case !ok:
			row.State = "unknown"
		case v >= 1:
			row.State = "up"
		default:
			row.State = "down"
		}
		row.StateKey = "devices.state." + row.State
		if ts, ok := last[d.Name]; ok && ts > 0 {
			row.LastCheck = c.when(time.Unix(int64(ts), 0))
		}
		rows = append(rows, row)
	}
	return rows
}

func (c *Console) deviceList(w http.ResponseWriter, r *http.Request) {
	v := devicesView{Absent: c.o.Sources.Inventory == nil}
	v.Rows = c.deviceRows(r.Context(), user(r), rowDetail{LastCheck: true, OpenTickets: true})
	// Down first, then unknown, then up; by site and name within.
	rank := map[string]int{"down": 0, "unknown": 1, "up": 2}
	sort.SliceStable(v.Rows, func(i, j int) bool {
		a, b := v.Rows[i], v.Rows[j]
		if rank[a.State] != rank[b.State] {
			return rank[a.State] < rank[b.State]
		}
		if a.Site != b.Site {
			return a.Site < b.Site
		}
		return a.Name < b.Name
	})
	for _, row := range v.Rows {
		switch row.State {
		case "up":
			v.Up++
		case "down":
			v.Down++
		default:
			v.Unknown++
		}
	}
	c.render(w, r, http.StatusOK, "devices", page{TitleKey: "devices.title", Data: v})
}

// findDevice returns the inventory device called name that u may see.
func (c *Console) findDevice(u accounts.User, name string) (inventory.Device, bool) {
	if c.o.Sources.Inventory == nil {
		return inventory.Device{}, false
	}
	for _, d := range c.o.Sources.Inventory.Devices {
		if d.Name == name && maySee(u, d.Site) {
			return d, true
		}
	}
	return inventory.Device{}, false
}

type deviceTicket struct {
	ID                     int64
	Title, LevelKey, State string
	Opened                 string
}

type deviceInspection struct {
	ID                int64
	Title, Item, When string
	Verdict, VKey     string
}

type portState struct {
	Name  string
	Up    bool
	Admin bool
}

type deviceView struct {
	Row         deviceRow
	Vendor      string
	Model       string
	Room, Rack  string
	Charts      bool
	Tickets     []deviceTicket
	Inspections []deviceInspection
	Ports       []portState
}

func (c *Console) devicePage(w http.ResponseWriter, r *http.Request) {
	u := user(r)
	d, ok := c.findDevice(u, r.PathValue("name"))
	if !ok {
		c.notFound(w, r)
		return
	}
	ctx := r.Context()
	v := deviceView{Vendor: d.Vendor, Model: d.Model, Room: d.Room, Rack: d.Rack, Charts: c.o.Sources.Metrics != nil}
	for _, row := range c.deviceRows(ctx, accounts.User{}, rowDetail{LastCheck: true, OpenTickets: true}) {
		if row.Name == d.Name {
			v.Row = row
			break
		}
	}
	if c.o.Sources.Tickets != nil {
		ts, err := c.o.Sources.Tickets.List(ctx, tickets.Filter{Device: d.Name, Limit: 20})
		if err != nil {
			c.o.Logger.Warn("console: device tickets", "device", d.Name, "err", err)
		}
		for _, t := range ts {
			v.Tickets = append(v.Tickets, deviceTicket{ID: t.ID, Title: t.Title, LevelKey: "devices.level." + t.Level.String(),
				State: string(t.State), Opened: c.when(t.OpenedAt)})
		}
	}
	v.Inspections = c.deviceInspections(ctx, d.Name)
	v.Ports = c.ports(ctx, d.Name)
	c.render(w, r, http.StatusOK, "device", page{TitleKey: "devices.device_title", Data: v})
}

// deviceInspections are the device's non-normal or hand-checked rows of the
// last ten inspections.
func (c *Console) deviceInspections(ctx context.Context, name string) []deviceInspection {
	st := c.o.Sources.Inspections
	if st == nil {
		return nil
	}
	list, err := st.List(ctx, inspect.Filter{Limit: 10})
	if err != nil {
		c.o.Logger.Warn("console: device inspections", "err", err)
		return nil
	}
	var out []deviceInspection
	for _, s := range list {
		in, err := st.Get(ctx, s.ID)
		if err != nil {
			continue
		}
		for _, row := range in.Rows {
			if row.Device != name {
				continue
			}
			out = append(out, deviceInspection{ID: in.ID, Title: in.Title, Item: row.Name, When: c.when(in.FinishedAt),
				Verdict: string(row.Verdict), VKey: "inspections.verdict." + string(row.Verdict)})
		}
	}
	return out
}

// ports returns the device's interfaces and their current states.
func (c *Console) ports(ctx context.Context, name string) []portState {
	if c.o.Sources.Metrics == nil {
		return nil
	}
	sel := `{device=` + promQuote(name) + `}`
	oper := map[string]float64{}
	admin := map[string]float64{}
	for expr, dst := range map[string]map[string]float64{
		`roomwatch_if_oper_status` + sel:  oper,
		`roomwatch_if_admin_status` + sel: admin,
	} {
		v, err := c.o.Sources.Metrics.Query(ctx, expr, c.o.Clock.Now())
		if err != nil {
			continue
		}
		if vec, ok := v.(model.Vector); ok {
			for _, s := range vec {
				n := string(s.Metric["ifName"])
				if n == "" {
					n = string(s.Metric["ifDescr"])
				}
				if n == "" {
					n = string(s.Metric["ifIndex"])
				}
				dst[n] = float64(s.Value)
			}
		}
	}
	out := make([]portState, 0, len(oper))
	for n, o := range oper {
		a, ok := admin[n]
		out = append(out, portState{Name: n, Up: o == 1, Admin: !ok || a == 1})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// chartSeries is one line of a chart: [unix ms, value] points.
type chartSeries struct {
	Name   string       `json:"name"`
	Points [][2]float64 `json:"points"`
}

// chartData are the device page's charts over the last 24 hours.
type chartData struct {
	Loss  []chartSeries `json:"loss"`  // ping loss, percent
	RTT   []chartSeries `json:"rtt"`   // ping round trip, ms
	UPS   []chartSeries `json:"ups"`   // battery charge and load, percent
	Ports []chartSeries `json:"ports"` // interfaces up / down (admin up)
}

// deviceSeries answers the charts' data as JSON (GET /devices/{name}/series).
func (c *Console) deviceSeries(w http.ResponseWriter, r *http.Request) {
	d, ok := c.findDevice(user(r), r.PathValue("name"))
	if !ok || c.o.Sources.Metrics == nil {
		c.notFound(w, r)
		return
	}
	sel := `device=` + promQuote(d.Name)
	end := c.o.Clock.Now()
	start := end.Add(-24 * time.Hour)
	step := 5 * time.Minute
	rng := func(expr, name string) []chartSeries {
		v, err := c.o.Sources.Metrics.QueryRange(r.Context(), expr, start, end, step)
		if err != nil {
			c.o.Logger.Warn("console: chart query", "expr", expr, "err", err)
			return nil
		}
		m, ok := v.(model.Matrix)
		if !ok {
			return nil
		}
		var out []chartSeries
		for _, s := range m {
			cs := chartSeries{Name: name}
			for _, p := range s.Values {
				x := float64(p.Value)
				if math.IsNaN(x) || math.IsInf(x, 0) {
					continue
				}
				cs.Points = append(cs.Points, [2]float64{float64(p.Timestamp), math.Round(x*1000) / 1000})
			}
			out = append(out, cs)
		}
		return out
	}
	var cd chartData
	cd.Loss = rng(`100 * max(roomwatch_ping_loss_ratio{`+sel+`})`, "loss")
	cd.RTT = rng(`1000 * max(roomwatch_ping_rtt_seconds{`+sel+`,stat="avg"})`, "rtt")
	cd.UPS = append(rng(`100 * max(roomwatch_ups_battery_charge_ratio{`+sel+`})`, "charge"),
		rng(`100 * max(roomwatch_ups_load_ratio{`+sel+`})`, "load")...)
	cd.Ports = append(rng(`count(roomwatch_if_oper_status{`+sel+`} == 1)`, "up"),
		rng(`count(roomwatch_if_oper_status{`+sel+`} != 1 and on (device, ifIndex) roomwatch_if_admin_status{`+sel+`} == 1)`, "down")...)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := json.NewEncoder(w).Encode(cd); err != nil && !errors.Is(err, context.Canceled) {
		c.o.Logger.Warn("console: chart data", "err", err)
	}
}
