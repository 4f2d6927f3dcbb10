package report

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/silence"
	"github.com/roomwatch/roomwatch/internal/sla"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// This file generates a month of tickets (October 2026, with the National
// Day holiday) through the real ticket service on a fake clock into a real
// SQLite store, builds the monthly report through the normal path, and
// recomputes every SLA figure a second, deliberately simple way: minute by
// minute, from the rules of contract seed 001 as written (the table below),
// without calling the production timer code (sla.Evaluate, sla.Counted,
// the calendars). The two must agree figure for figure.

// seed001Timer is one timer of seed 001 as the contract states it.
type seed001Timer struct {
	kind     string
	target   time.Duration
	workday  bool // counted on the 5×8 calendar (level IV), else 7×24
	pausable bool // an agreed pause holds it (the profile's defaults.pausable)
	windowed bool // a maintenance window holds it (docs/sla.md: repair timers)
	fromFix  bool // counts from the resolution, not the opening
}

// seed001Timers are the timers of seed 001 per level: lines 108–113
// (respond 30 min, plan 2 h, resolve 12 h / 24 h / 48 h / five working
// days = 42h30m), line 59 (level I unresolved at 2 h escalates), line 117
// (level I unresolved at 12 h: emergency plan within 16 h), line 119
// (report within 24 h of resolution). Level IV runs on working days.
func seed001Timers(l classify.Level) []seed001Timer {
	iv := l == classify.LevelIV
	ts := []seed001Timer{{kind: "respond", target: 30 * time.Minute, workday: iv}, {kind: "plan", target: 2 * time.Hour, workday: iv}}
	resolve := map[classify.Level]time.Duration{classify.LevelI: 12 * time.Hour, classify.LevelII: 24 * time.Hour,
		classify.LevelIII: 48 * time.Hour, classify.LevelIV: 42*time.Hour + 30*time.Minute}
	if l == classify.LevelI {
		ts = append(ts, seed001Timer{kind: "escalation", target: 2 * time.Hour, windowed: true})
	}
	ts = append(ts, seed001Timer{kind: "resolve", target: resolve[l], workday: iv, pausable: true, windowed: true})
	if l == classify.LevelI {
		ts = append(ts, seed001Timer{kind: "emergency", target: 16 * time.Hour, pausable: true, windowed: true})
	}
	return append(ts, seed001Timer{kind: "report", target: 24 * time.Hour, fromFix: true})
}

// workingMinute reports whether the minute starting at t is working time on
// seed 001's 5×8 calendar (9:00–17:30 Monday–Friday) in October 2026:
// National Day 1–7 October off, Saturday 10 October a make-up working day
// (rules/calendars/cn-holidays.yml, 国务院办公厅 2025-11-04).
func workingMinute(t time.Time, loc *time.Location) bool {
	t = t.In(loc)
	day := t.Format("2006-01-02")
	working := t.Weekday() != time.Saturday && t.Weekday() != time.Sunday
	if day >= "2026-10-01" && day <= "2026-10-07" {
		working = false
	}
	if day == "2026-10-10" || day == "2026-09-20" {
		working = true
	}
	m := t.Hour()*60 + t.Minute()
	return working && m >= 9*60 && m < 17*60+30
}

type genDevice struct{ name, site, class string }

type genDevices []genDevice

func (d genDevices) Device(name string) (string, string, string, bool) {
	for _, x := range d {
		if x.name == name {
			return x.site, x.class, "", true
		}
	}
	return "", "", "", false
}

// genWindow is a maintenance window by device or by site.
type genWindow struct {
	label, value string
	from, to     time.Time
}

func (w genWindow) covers(d genDevice, at time.Time) bool {
	v := d.name
	if w.label == "site" {
		v = d.site
	}
	return v == w.value && !at.Before(w.from) && at.Before(w.to)
}

// genAction is one step of a generated ticket.
type genAction struct {
	at  time.Time
	req tickets.ActionRequest
}

// genTicket is a generated ticket: what the generator did to it.
type genTicket struct {
	dev      genDevice
	level    classify.Level
	category classify.Category
	opened   time.Time
	actions  []genAction
	id       int64
}

// categoryOf is the ticket's category: the one it was registered with,
// else the one the fault-level rules give its device's class
// (internal/tickets/ticketstest/fault-levels.yml: ups → room_infra,
// camera/nvr/checkpoint → front_end, else room_it).
func (g *genTicket) categoryOf() classify.Category {
	switch {
	case g.category != "":
		return g.category
	case g.dev.class == "ups":
		return classify.CategoryRoomInfra
	case g.dev.class == "camera":
		return classify.CategoryFrontEnd
	}
	return classify.CategoryRoomIT
}

func (g *genTicket) first(a tickets.Action, pred func(tickets.ActionRequest) bool) *time.Time {
	for _, x := range g.actions {
		if x.req.Action == a && (pred == nil || pred(x.req)) {
			at := x.at
			return &at
		}
	}
	return nil
}

// generateMonth makes n tickets opened in [start, end) and the windows.
func generateMonth(rng *rand.Rand, start, end time.Time, n int) ([]*genTicket, []genWindow, genDevices) {
	m := time.Minute
	cats := append(classify.Categories(), "")
	var devs genDevices
	for i := range 20 {
		devs = append(devs, genDevice{name: fmt.Sprintf("dev-%02d", i), site: fmt.Sprintf("site-%d", i%5), class: []string{"switch", "camera", "ups", "server"}[i%4]})
	}
	minutes := int(end.Sub(start) / m)
	var ws []genWindow
	for i := range 14 {
		from := start.Add(time.Duration(rng.IntN(minutes)) * m)
		w := genWindow{label: "device", value: devs[rng.IntN(len(devs))].name, from: from, to: from.Add(time.Duration(30+rng.IntN(8*60)) * m)}
		if i%4 == 3 {
			w.label, w.value = "site", devs[rng.IntN(len(devs))].site
		}
		ws = append(ws, w)
	}
	people := []string{"张工", "李工", "王工"}
	var ts []*genTicket
	for i := range n {
		g := &genTicket{dev: devs[rng.IntN(len(devs))], level: classify.Levels()[rng.IntN(4)]}
		g.category = cats[rng.IntN(len(cats))]
		if i%25 == 0 {
			// Some open in the month's last two days and run past its end.
			g.opened = end.Add(-time.Duration(1+rng.IntN(48*60)) * m)
		} else {
			g.opened = start.Add(time.Duration(rng.IntN(minutes-60)) * m)
		}
		at := g.opened
		add := func(d time.Duration, r tickets.ActionRequest) {
			at = at.Add(d)
			if r.Actor == "" {
				r.Actor = people[rng.IntN(len(people))]
			}
			g.actions = append(g.actions, genAction{at: at, req: r})
		}
		// Answer: mostly within 25 minutes, some late.
		ack := time.Duration(1+rng.IntN(25)) * m
		if rng.IntN(6) == 0 {
			ack = time.Duration(31+rng.IntN(120)) * m
		}
		if rng.IntN(20) == 0 {
			// Cancelled (a false report), sometimes before any answer.
			if rng.IntN(2) == 0 {
				add(ack, tickets.ActionRequest{Action: tickets.ActionAck})
			}
			add(time.Duration(5+rng.IntN(60))*m, tickets.ActionRequest{Action: tickets.ActionCancel, Actor: "值班员"})
			ts = append(ts, g)
			continue
		}
		add(ack, tickets.ActionRequest{Action: tickets.ActionAck})
		if rng.IntN(3) == 0 {
			add(time.Duration(10+rng.IntN(90))*m, tickets.ActionRequest{Action: tickets.ActionOnSite})
		}
		if rng.IntN(7) != 0 {
			add(time.Duration(10+rng.IntN(180))*m, tickets.ActionRequest{Action: tickets.ActionPlan, Text: "处理方案"})
		}
		if since := end.Add(-time.Duration(10+rng.IntN(300)) * m); i%25 == 0 && since.After(at) && rng.IntN(3) != 0 {
			// A pause across the month's end: in progress at the end.
			add(since.Sub(at), tickets.ActionRequest{Action: tickets.ActionPause, Reason: "等待用户同意停机", AgreedBy: "值班室"})
			add(end.Sub(at)+time.Duration(30+rng.IntN(600))*m, tickets.ActionRequest{Action: tickets.ActionResume})
		} else if rng.IntN(6) == 0 {
			add(time.Duration(10+rng.IntN(120))*m, tickets.ActionRequest{Action: tickets.ActionPause, Reason: "等待厂商备件", AgreedBy: "科技科"})
			add(time.Duration(30+rng.IntN(10*60))*m, tickets.ActionRequest{Action: tickets.ActionResume})
		}
		if g.level == classify.LevelI && rng.IntN(3) == 0 {
			add(time.Duration(rng.IntN(18*60))*m, tickets.ActionRequest{Action: tickets.ActionPlan, Text: "应急方案", Emergency: true})
		}
		// Resolution: spread around the level's target, some far past it.
		target := seed001Timers(g.level)
		var fix time.Duration
		for _, tm := range target {
			if tm.kind == "resolve" {
				fix = tm.target
			}
		}
		if g.level == classify.LevelIV {
			fix *= 3 // working time is about a third of the week
		}
		add(time.Duration(float64(fix)*(0.05+rng.Float64()*1.3)).Truncate(m)+m, tickets.ActionRequest{Action: tickets.ActionResolve,
			Cause: "故障原因", Fix: "处理方法"})
		if rng.IntN(10) < 7 {
			add(time.Duration(60+rng.IntN(30*60))*m, tickets.ActionRequest{Action: tickets.ActionReport, Text: "故障处理报告"})
		}
		if rng.IntN(2) == 0 {
			add(time.Duration(10+rng.IntN(600))*m, tickets.ActionRequest{Action: tickets.ActionFollowUp, Actor: "回访员",
				Satisfaction: 1 + rng.IntN(5)})
		}
		if rng.IntN(10) < 6 {
			add(time.Duration(10+rng.IntN(600))*m, tickets.ActionRequest{Action: tickets.ActionClose, Actor: "王科长"})
		}
		ts = append(ts, g)
	}
	return ts, ws, devs
}

// counted is the recomputation's counted time of a timer over [from, to):
// one minute at a time, a minute counts when the calendar is open, no
// agreed pause that began while the timer ran holds it (pausable timers)
// and no window covering the device holds it (windowed timers).
func counted(tm seed001Timer, g *genTicket, ws []genWindow, pauses [][2]time.Time, from, to time.Time, loc *time.Location) time.Duration {
	var d time.Duration
	for t := from; t.Before(to); t = t.Add(time.Minute) {
		if tm.workday && !workingMinute(t, loc) {
			continue
		}
		held := false
		if tm.pausable {
			for _, p := range pauses {
				if !t.Before(p[0]) && t.Before(p[1]) && !p[0].Before(from) {
					held = true
				}
			}
		}
		if tm.windowed {
			for _, w := range ws {
				if w.covers(g.dev, t) {
					held = true
				}
			}
		}
		if !held {
			d += time.Minute
		}
	}
	return d
}

// want is the recomputed monthly statistics.
type want struct {
	timers  map[string]*TimerStats                    // by kind
	byLevel map[classify.Level]map[string]*TimerStats // by level and kind
	mtta    map[string][2]int64                       // "all", "L:I", "C:room_it" → sum seconds, n
	mttr    map[string][2]int64
	faults  FaultStats
	eng     map[string]*EngineerStats
}

// recompute judges every generated ticket at the period's end (end) from
// the contract rules above.
func recompute(ts []*genTicket, ws []genWindow, start, end time.Time, loc *time.Location) want {
	w := want{timers: map[string]*TimerStats{}, byLevel: map[classify.Level]map[string]*TimerStats{},
		mtta: map[string][2]int64{}, mttr: map[string][2]int64{},
		faults: FaultStats{ByLevel: map[classify.Level]int{}, ByCategory: map[classify.Category]int{}}, eng: map[string]*EngineerStats{}}
	before := func(p *time.Time) *time.Time {
		if p != nil && p.Before(end) {
			return p
		}
		return nil
	}
	addMean := func(m map[string][2]int64, g *genTicket, d time.Duration) {
		for _, k := range []string{"all", "L:" + g.level.String(), "C:" + string(g.categoryOf())} {
			v := m[k]
			m[k] = [2]int64{v[0] + int64(d), v[1] + 1}
		}
	}
	type score struct {
		ticket int
		s      int
	}
	var scores []score
	resolver := map[int]string{}
	ackSum, siteSum := map[string]time.Duration{}, map[string]time.Duration{}
	person := func(n string) *EngineerStats {
		if w.eng[n] == nil {
			w.eng[n] = &EngineerStats{Name: n}
		}
		return w.eng[n]
	}
	for gi, g := range ts {
		// The people's work in the month (events before its end); whoever
		// did anything but a follow-up has a row, the duty operator who
		// registered the tickets too.
		person("值班员")
		for _, a := range g.actions {
			if !a.at.Before(end) {
				continue
			}
			if a.req.Action != tickets.ActionFollowUp {
				person(a.req.Actor)
			}
			switch a.req.Action {
			case tickets.ActionAck:
				person(a.req.Actor).Acks++
				ackSum[a.req.Actor] += a.at.Sub(g.opened)
			case tickets.ActionOnSite:
				person(a.req.Actor).OnSite++
				siteSum[a.req.Actor] += a.at.Sub(g.opened)
			case tickets.ActionResolve:
				person(a.req.Actor).Resolved++
				resolver[gi] = a.req.Actor
			case tickets.ActionClose:
				person(a.req.Actor).Closed++
			case tickets.ActionFollowUp:
				scores = append(scores, score{gi, a.req.Satisfaction})
			}
		}
		cancel := before(g.first(tickets.ActionCancel, nil))
		if cancel != nil {
			w.faults.Cancelled++
			continue
		}
		w.faults.Total++
		w.faults.ByLevel[g.level]++
		w.faults.ByCategory[g.categoryOf()]++
		fix := before(g.first(tickets.ActionResolve, nil))
		closed := before(g.first(tickets.ActionClose, nil))
		switch {
		case fix != nil:
			w.faults.Resolved++
		default:
			w.faults.Active++
		}
		var pauses [][2]time.Time
		for i, a := range g.actions {
			if a.req.Action == tickets.ActionPause && a.at.Before(end) {
				to := g.actions[i+1].at
				pauses = append(pauses, [2]time.Time{a.at, to})
			}
		}
		// The first answer meets the respond timer (seed 001 line 57: 响应).
		answered := g.first(tickets.ActionAck, nil)
		if answered := before(answered); answered != nil {
			addMean(w.mtta, g, answered.Sub(g.opened))
		}
		for _, tm := range seed001Timers(g.level) {
			s := w.timers[tm.kind]
			if s == nil {
				s = &TimerStats{Name: tm.kind}
				w.timers[tm.kind] = s
			}
			if w.byLevel[g.level] == nil {
				w.byLevel[g.level] = map[string]*TimerStats{}
			}
			ls := w.byLevel[g.level][tm.kind]
			if ls == nil {
				ls = &TimerStats{Name: tm.kind, Level: g.level}
				w.byLevel[g.level][tm.kind] = ls
			}
			from := g.opened
			if tm.fromFix {
				if fix == nil {
					s.Waiting++
					ls.Waiting++
					continue
				}
				from = *fix
			}
			// Its milestone, else the end of the timer without it: the
			// resolution ends every timer still running, the close the report.
			var met *time.Time
			switch tm.kind {
			case "respond":
				met = answered
			case "plan":
				met = g.first(tickets.ActionPlan, func(r tickets.ActionRequest) bool { return !r.Emergency })
			case "emergency":
				met = g.first(tickets.ActionPlan, func(r tickets.ActionRequest) bool { return r.Emergency })
			case "resolve", "escalation":
				met = g.first(tickets.ActionResolve, nil)
			case "report":
				met = g.first(tickets.ActionReport, nil)
			}
			ended := fix
			if tm.fromFix {
				ended = closed
			}
			if met != nil && ended != nil && ended.Before(*met) {
				met = nil
			}
			met = before(met)
			var stop *time.Time
			if met != nil {
				stop = met
			} else if ended != nil {
				stop = ended
			}
			for _, x := range []*TimerStats{s, ls} {
				if stop == nil {
					c := counted(tm, g, ws, pauses, from, end, loc)
					if c >= tm.target {
						x.Breached++
						x.BreachTotal += c - tm.target
						x.BreachMax = max(x.BreachMax, c-tm.target)
					} else {
						x.Running++
					}
					continue
				}
				c := counted(tm, g, ws, pauses, from, *stop, loc)
				switch {
				case c > tm.target:
					x.Breached++
					x.BreachTotal += c - tm.target
					x.BreachMax = max(x.BreachMax, c-tm.target)
				case met != nil:
					x.Met++
				default:
					x.NotApplicable++
				}
				if x == s && tm.kind == "resolve" && met != nil {
					addMean(w.mttr, g, c)
				}
			}
		}
	}
	for _, sc := range scores {
		if n, ok := resolver[sc.ticket]; ok {
			p := person(n)
			p.Satisfaction += float64(sc.s)
			p.Rated++
		}
	}
	for n, p := range w.eng {
		if p.Acks > 0 {
			p.AckMean = ackSum[n] / time.Duration(p.Acks)
		}
		if p.OnSite > 0 {
			p.SiteMean = siteSum[n] / time.Duration(p.OnSite)
		}
		if p.Rated > 0 {
			p.Satisfaction /= float64(p.Rated)
		}
	}
	return w
}

// TestMonthlySLARecomputed is issue 13 §5's test: several hundred tickets
// of October 2026 on seed 001's contract, all levels, some paused, some
// under maintenance windows, some breached, some cancelled, some crossing
// the month's end, working-day timers across the National Day holiday.
func TestMonthlySLARecomputed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	loc := ticketstest.Shanghai(t)
	p, err := Month("2026-10", loc)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(13, 5))
	gen, ws, devs := generateMonth(rng, p.Start, p.End, 400)

	clk := clockwork.NewFakeClockAt(p.Start.Add(-24 * time.Hour))
	sst, err := silence.OpenStore(ctx, filepath.Join(t.TempDir(), "silences.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sst.Close() })
	set, err := silence.NewSet(ctx, silence.Options{Store: sst, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		mt, err := silence.NewMatcher(silence.MatchEqual, w.label, w.value)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := set.Put(ctx, silence.Silence{Matchers: []silence.Matcher{mt}, StartsAt: w.from, EndsAt: w.to,
			CreatedBy: "王工", Comment: "计划维护"}); err != nil {
			t.Fatal(err)
		}
	}
	loaded, err := sla.Config{Profile: "seed001", Dir: "../../rules/sla", Holidays: "../../rules/calendars/cn-holidays.yml"}.Load()
	if err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(t.TempDir(), "tickets.db")
	env := ticketstest.NewAt(t, dbPath, clk, func(o *tickets.Options) {
		o.Policy = loaded.Selection
		o.Devices = devs
		o.Windows = set
	})

	// Every step of every ticket, in time order, on the fake clock.
	type op struct {
		at     time.Time
		g      *genTicket
		create bool
		req    tickets.ActionRequest
		seq    int
	}
	var ops []op
	for _, g := range gen {
		ops = append(ops, op{at: g.opened, g: g, create: true})
		for i, a := range g.actions {
			ops = append(ops, op{at: a.at, g: g, req: a.req, seq: i + 1})
		}
	}
	sort.SliceStable(ops, func(i, j int) bool { return ops[i].at.Before(ops[j].at) })
	for _, o := range ops {
		if d := o.at.Sub(clk.Now()); d > 0 {
			clk.Advance(d)
		}
		if o.create {
			tk, err := env.Service.Create(ctx, tickets.Manual{Title: "故障", Level: o.g.level, Device: o.g.dev.name, Site: o.g.dev.site,
				Category: o.g.category, Channel: "phone", Actor: "值班员"})
			if err != nil {
				t.Fatal(err)
			}
			o.g.id = tk.ID
			continue
		}
		if _, err := env.Service.Do(ctx, o.g.id, o.req); err != nil {
			t.Fatalf("ticket %d: %s at %s: %v", o.g.id, o.req.Action, o.at.In(loc), err)
		}
	}
	if d := p.End.Add(20 * 24 * time.Hour).Sub(clk.Now()); d > 0 {
		clk.Advance(d)
	}

	rep, err := New(Sources{Tickets: env.Service, History: env.Store, Silences: set}, Options{Clock: clk, Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	m, err := rep.Monthly(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("monthly report over %d tickets and %d windows: %v (wall clock)", len(gen), len(ws), time.Since(t0).Round(time.Millisecond))
	t1 := time.Now()
	w := recompute(gen, ws, p.Start, p.End, loc)
	t.Logf("recomputation: %v", time.Since(t1).Round(time.Millisecond))

	// Faults.
	f := m.Faults
	if f.Total != w.faults.Total || f.Cancelled != w.faults.Cancelled || f.Resolved != w.faults.Resolved || f.Active != w.faults.Active {
		t.Errorf("faults: total %d cancelled %d resolved %d active %d; recomputed %d %d %d %d", f.Total, f.Cancelled, f.Resolved, f.Active,
			w.faults.Total, w.faults.Cancelled, w.faults.Resolved, w.faults.Active)
	}
	for _, l := range classify.Levels() {
		if f.ByLevel[l] != w.faults.ByLevel[l] {
			t.Errorf("faults of level %s: %d, recomputed %d", l, f.ByLevel[l], w.faults.ByLevel[l])
		}
	}
	for _, c := range append(classify.Categories(), "") {
		if f.ByCategory[c] != w.faults.ByCategory[c] {
			t.Errorf("faults of category %q: %d, recomputed %d", c, f.ByCategory[c], w.faults.ByCategory[c])
		}
	}
	// Timers, all levels and per level.
	cmp := func(what string, got TimerStats, want *TimerStats) {
		t.Helper()
		if want == nil {
			t.Errorf("%s: reported %+v, recomputed none", what, got)
			return
		}
		g := got
		g.NameZH = ""
		if g != *want {
			t.Errorf("%s:\n reported   %+v\n recomputed %+v", what, g, *want)
		}
	}
	if len(m.Timers) != len(w.timers) {
		t.Errorf("%d timer kinds reported, %d recomputed", len(m.Timers), len(w.timers))
	}
	for _, s := range m.Timers {
		cmp(s.Name, s, w.timers[s.Name])
	}
	n := 0
	for _, s := range m.TimersByLevel {
		cmp(s.Level.String()+" "+s.Name, s, w.byLevel[s.Level][s.Name])
		n++
	}
	nw := 0
	for _, ks := range w.byLevel {
		nw += len(ks)
	}
	if n != nw {
		t.Errorf("%d per-level timer rows reported, %d recomputed", n, nw)
	}
	// MTTA and MTTR: means of the recomputed sums, rounded to the second.
	mean := func(v [2]int64) (time.Duration, int) {
		if v[1] == 0 {
			return 0, 0
		}
		return (time.Duration(v[0]) / time.Duration(v[1])).Round(time.Second), int(v[1])
	}
	check := func(what string, got MeanTimes, key string) {
		t.Helper()
		a, na := mean(w.mtta[key])
		r, nr := mean(w.mttr[key])
		if got.MTTA != a || got.NAcked != na || got.MTTR != r || got.NFixed != nr {
			t.Errorf("%s: MTTA %v over %d, MTTR %v over %d; recomputed %v over %d, %v over %d", what, got.MTTA, got.NAcked, got.MTTR, got.NFixed, a, na, r, nr)
		}
	}
	check("all", m.Mean, "all")
	for _, l := range classify.Levels() {
		check("level "+l.String(), m.MeanByLevel[l], "L:"+l.String())
	}
	for _, c := range append(classify.Categories(), "") {
		check("category "+string(c), m.MeanByCategory[c], "C:"+string(c))
	}
	// Per engineer.
	if len(m.Engineers) != len(w.eng) {
		t.Errorf("%d engineers reported, %d recomputed", len(m.Engineers), len(w.eng))
	}
	for _, e := range m.Engineers {
		x := w.eng[e.Name]
		if x == nil || e != *x {
			t.Errorf("engineer %s:\n reported   %+v\n recomputed %+v", e.Name, e, x)
		}
	}
	// The month must exercise what it claims to.
	var paused, straddling, windowed, breached, crossing, holidayIV int
	for _, g := range gen {
		if at := g.first(tickets.ActionPause, nil); at != nil {
			paused++
			if at.Before(p.End) && !g.first(tickets.ActionResume, nil).Before(p.End) {
				straddling++
			}
		}
		for _, w := range ws {
			if w.covers(g.dev, w.from) && w.to.After(g.opened) {
				if fix := g.first(tickets.ActionResolve, nil); fix == nil || fix.After(w.from) {
					windowed++
					break
				}
			}
		}
		if fix := g.first(tickets.ActionResolve, nil); fix != nil && !fix.Before(p.End) {
			crossing++
		}
		if g.level == classify.LevelIV && g.opened.Before(time.Date(2026, 10, 8, 0, 0, 0, 0, loc)) {
			holidayIV++
		}
	}
	for _, s := range m.Timers {
		breached += s.Breached
	}
	t.Logf("%d tickets (%d faults, %d cancelled), %d paused (%d across the month's end), %d under a window, %d resolved after the month, %d level IV in the holiday, %d breaches",
		len(gen), f.Total, f.Cancelled, paused, straddling, windowed, crossing, holidayIV, breached)
	if paused < 20 || straddling < 3 || windowed < 5 || crossing < 5 || holidayIV < 10 || breached < 20 || f.Cancelled < 5 {
		t.Errorf("the generated month is too thin to test much")
	}
}
