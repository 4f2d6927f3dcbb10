package inspect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/common/model"

	"github.com/roomwatch/roomwatch/internal/alert"
	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// Querier runs PromQL at an instant; store.Querier (local or HTTP) implements it.
type Querier interface {
	Query(ctx context.Context, expr string, t time.Time) (model.Value, error)
}

// Intake takes the alerts of abnormal rows; *tickets.Service implements it.
type Intake interface {
	Ingest(ctx context.Context, alerts []alert.Alert) (tickets.IngestResult, error)
}

// Options configure a Runner.
type Options struct {
	Querier   Querier              // required for metric items
	Inventory *inventory.Inventory // required
	Store     *Store               // required
	Intake    Intake               // nil: abnormal rows open no tickets
	Clock     clockwork.Clock      // default the real clock
	Location  *time.Location       // calendar.DefaultZone when nil
	Logger    *slog.Logger
	// Progress, when set, is told after each item is evaluated (calls are
	// serialised; the hook need not be safe for concurrent use).
	Progress func(Progress)
	// Concurrency is how many items are evaluated at once (one PromQL query
	// each, across all devices); 4 when 0.
	Concurrency int
}

// Progress is how far a run is.
type Progress struct {
	Template   string
	Items      int // items in the template
	ItemsDone  int
	Checks     int // rows: devices × items that apply to them
	ChecksDone int
	Devices    int // distinct devices (sites, systems) in the run
}

// Runner runs templates against the inventory and stores the records.
type Runner struct {
	o Options
}

// NewRunner checks the options.
func NewRunner(o Options) (*Runner, error) {
	if o.Inventory == nil || o.Store == nil {
		return nil, errors.New("inspect: Inventory and Store are required")
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Location == nil {
		loc, err := time.LoadLocation(calendar.DefaultZone)
		if err != nil {
			return nil, fmt.Errorf("inspect: %w", err)
		}
		o.Location = loc
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	return &Runner{o: o}, nil
}

// RunOptions are the per-run choices.
type RunOptions struct {
	At      time.Time // the end of the period; the clock's now when zero
	Trigger string    // schedule, catch-up, cli, api
	Actor   string
}

type rowTarget struct {
	key     string // device name, or site name for scope site
	display string
	class   string
	site    string
	address string
}

// Run evaluates every item of t for every matching device, opens tickets for
// abnormal rows and stores the record. It returns the stored inspection.
func (r *Runner) Run(ctx context.Context, t *Template, ro RunOptions) (*Inspection, error) {
	started := r.o.Clock.Now()
	at := ro.At
	if at.IsZero() {
		at = started
	}
	period := t.PeriodDuration()
	run := &Run{
		Template: t.Name, Title: t.Title, TitleEN: t.TitleEN, Rhythm: t.Rhythm,
		PeriodStart: at.Add(-period).In(r.o.Location), PeriodEnd: at.In(r.o.Location),
		StartedAt: started.In(r.o.Location), Trigger: ro.Trigger, Actor: ro.Actor,
	}
	targets, err := r.o.Inventory.Targets()
	if err != nil {
		return nil, fmt.Errorf("inspect %s: inventory: %w", t.Name, err)
	}
	rts := make([][]rowTarget, len(t.Items))
	prog := Progress{Template: t.Name, Items: len(t.Items)}
	devs := map[string]bool{}
	for i := range t.Items {
		rts[i] = r.rowTargets(&t.Items[i], targets)
		prog.Checks += len(rts[i])
		for _, rt := range rts[i] {
			devs[rt.key] = true
		}
	}
	prog.Devices = len(devs)
	// One query per item across all devices; items run concurrently, bounded.
	results := make([][]Row, len(t.Items))
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		sem = make(chan struct{}, r.o.Concurrency)
	)
	for i := range t.Items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				return
			}
			results[i] = r.evalItem(ctx, &t.Items[i], rts[i], at, period)
			if r.o.Progress != nil {
				mu.Lock()
				prog.ItemsDone++
				prog.ChecksDone += len(results[i])
				r.o.Progress(prog)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	run.Rows = make([]Row, 0, prog.Checks)
	for i, rows := range results {
		run.Rows = append(run.Rows, rows...)
		it := &t.Items[i]
		info := ItemInfo{ID: it.ID, Name: it.Name, NameEN: it.NameEN, Kind: it.Kind()}
		if len(rows) > 0 {
			info.Unit, info.Query, info.At = rows[0].Unit, rows[0].Evidence.Query, rows[0].Evidence.At
		}
		run.Items = append(run.Items, info)
	}
	r.openTickets(ctx, t, run, at)
	run.FinishedAt = r.o.Clock.Now().In(r.o.Location)
	id, err := r.o.Store.AppendRun(ctx, run)
	if err != nil {
		return nil, err
	}
	in := &Inspection{ID: id, Run: *run}
	in.refresh()
	r.o.Logger.Info("inspection stored", "id", id, "template", t.Name, "rows", in.Totals.Rows,
		"abnormal", in.Totals.Abnormal, "unchecked", in.Totals.Unchecked, "pending", in.Totals.Pending)
	return in, nil
}

func (r *Runner) rowTargets(it *Item, targets []inventory.Target) []rowTarget {
	switch it.Scope {
	case ScopeSystem:
		name := it.Target
		if name == "" {
			name = "system"
		}
		return []rowTarget{{key: name, display: name}}
	case ScopeSite:
		var out []rowTarget
		for _, s := range r.o.Inventory.Sites {
			if len(it.Select.Site) > 0 && !contains(it.Select.Site, s.Name) {
				continue
			}
			out = append(out, rowTarget{key: s.Name, display: orStr(s.DisplayName, s.Name), site: s.Name})
		}
		return out
	}
	var out []rowTarget
	for _, tg := range targets {
		d := tg.Device
		if !it.Select.Matches(d) {
			continue
		}
		disp := d.DisplayName
		if tg.Name != d.Name || disp == "" {
			disp = tg.Name
		}
		out = append(out, rowTarget{key: tg.Name, display: disp, class: string(d.Class), site: d.Site, address: tg.Address})
	}
	return out
}

func (r *Runner) evalItem(ctx context.Context, it *Item, rts []rowTarget, at time.Time, period time.Duration) []Row {
	rows := make([]Row, len(rts))
	for i, rt := range rts {
		rows[i] = Row{Device: rt.key, Display: rt.display, Class: rt.class, Site: rt.site, Address: rt.address,
			Item: it.ID, Name: it.Name, NameEN: it.NameEN, Kind: it.Kind()}
	}
	switch {
	case it.Manual != nil:
		for i := range rows {
			rows[i].Verdict = Pending
			rows[i].Evidence.Note = it.Manual.Hint
		}
	case it.File != nil:
		for i := range rows {
			r.fileCheck(it, &rows[i], at)
		}
	case it.Metric != nil:
		r.metricCheck(ctx, it, rows, at, period)
	}
	return rows
}

// PromDuration formats d as a PromQL duration ("1d", "30d", "90m").
func PromDuration(d time.Duration) string { return model.Duration(d).String() }

func (r *Runner) metricCheck(ctx context.Context, it *Item, rows []Row, at time.Time, period time.Duration) {
	m := it.Metric
	expr := strings.ReplaceAll(m.Query, "$period", PromDuration(period))
	key := "device"
	if it.Scope == ScopeSite {
		key = "site"
	}
	var v model.Value
	err := errors.New("no metric store configured")
	if r.o.Querier != nil {
		v, err = r.o.Querier.Query(ctx, expr, at)
	}
	byKey := make(map[string][]float64, len(rows))
	if err == nil {
		switch v := v.(type) {
		case model.Vector:
			for _, s := range v {
				k := string(s.Metric[model.LabelName(key)])
				if it.Scope == ScopeSystem {
					k = rows0Key(rows)
				}
				byKey[k] = append(byKey[k], float64(s.Value))
			}
		case *model.Scalar:
			if it.Scope == ScopeSystem {
				byKey[rows0Key(rows)] = []float64{float64(v.Value)}
			} else {
				err = fmt.Errorf("query returned a scalar; a vector with a %s label is needed", key)
			}
		default:
			err = fmt.Errorf("query returned %s; an instant vector is needed", v.Type())
		}
	}
	for i := range rows {
		row := &rows[i]
		row.Unit = m.Unit
		row.Evidence.Query, row.Evidence.At = expr, at.In(r.o.Location)
		if err != nil {
			row.Verdict, row.Reason = Unchecked, "查询失败 query failed: "+err.Error()
			continue
		}
		vals := byKey[row.Device]
		if len(vals) == 0 {
			row.Verdict, row.Reason = Unchecked, "无数据 no data for this device in the period"
			continue
		}
		sort.Float64s(vals)
		row.Evidence.Values = vals
		x := vals[len(vals)-1]
		if m.Reduce == "min" {
			x = vals[0]
		}
		if math.IsNaN(x) {
			row.Verdict, row.Reason = Unchecked, "值无效 value is NaN"
			continue
		}
		shown := x * m.Scale
		row.Value = &shown
		row.Verdict = verdictOf(m, x)
		if row.Verdict == Abnormal {
			row.Level = it.Level
		}
	}
}

func rows0Key(rows []Row) string {
	if len(rows) == 0 {
		return ""
	}
	return rows[0].Device
}

func verdictOf(m *MetricCheck, x float64) Verdict {
	switch {
	case m.Abnormal.Match(x):
		return Abnormal
	case m.Warning.Match(x):
		return Warning
	}
	return Normal
}

func (r *Runner) fileCheck(it *Item, row *Row, at time.Time) {
	f := it.File
	row.Evidence.Path, row.Unit = f.Path, "h"
	matches, err := filepath.Glob(f.Path)
	if err != nil {
		row.Verdict, row.Reason = Unchecked, err.Error()
		return
	}
	var newest os.FileInfo
	var newestPath string
	for _, p := range matches {
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() {
			continue
		}
		if newest == nil || fi.ModTime().After(newest.ModTime()) {
			newest, newestPath = fi, p
		}
	}
	if newest == nil {
		row.Verdict, row.Reason, row.Level = Abnormal, "未找到导出文件 no file matches "+f.Path, it.Level
		return
	}
	age := at.Sub(newest.ModTime())
	hours := math.Round(age.Hours()*100) / 100
	row.Value = &hours
	row.Evidence.Path = newestPath
	row.Evidence.Values = []float64{float64(newest.Size())}
	row.Evidence.Note = fmt.Sprintf("最新文件 %s，修改于 %s，%d 字节", filepath.Base(newestPath),
		newest.ModTime().In(r.o.Location).Format("2006-01-02 15:04:05"), newest.Size())
	switch {
	case age > f.MaxAge.Std() || newest.Size() < f.MinBytes:
		row.Verdict, row.Level = Abnormal, it.Level
	case f.WarnAge > 0 && age > f.WarnAge.Std():
		row.Verdict = Warning
	default:
		row.Verdict = Normal
	}
}

// openTickets sends one firing alert per abnormal row to the intake. The
// labels device+family (the item's family) form the ticket's group key by
// default, so the same fault found again, by the next run or by an alert rule
// of the same family, updates the ticket it already has instead of opening
// another.
func (r *Runner) openTickets(ctx context.Context, t *Template, run *Run, at time.Time) {
	if r.o.Intake == nil {
		return
	}
	var alerts []alert.Alert
	var idx []int
	for i := range run.Rows {
		row := &run.Rows[i]
		if row.Verdict != Abnormal {
			continue
		}
		it, _ := t.Item(row.Item)
		labels := map[string]string{
			"alertname": it.AlertName(), "device": row.Device, "fault_level": row.Level.String(),
			"inspection_item": row.Item,
		}
		if it.Family != "" {
			labels["family"] = it.Family
		}
		if row.Class != "" {
			labels["class"] = row.Class
		}
		if row.Site != "" {
			labels["site"] = row.Site
		}
		val := "—"
		if row.Value != nil {
			val = fmt.Sprintf("%g%s", *row.Value, row.Unit)
		}
		alerts = append(alerts, alert.Alert{
			Labels: labels,
			Annotations: map[string]string{
				"summary":     fmt.Sprintf("巡检异常：%s %s", row.Display, row.Name),
				"description": fmt.Sprintf("%s（%s）巡检项“%s / %s”结果异常：%s %s", row.Display, row.Device, row.Name, row.NameEN, val, row.Reason),
			},
			StartsAt: at, Source: alert.SourceInspection,
		})
		idx = append(idx, i)
	}
	run.Tickets.Alerts = len(alerts)
	if len(alerts) == 0 {
		return
	}
	res, err := r.o.Intake.Ingest(ctx, alerts)
	if err != nil {
		run.Tickets.Error = err.Error()
		r.o.Logger.Error("inspection alerts not taken by the ticket intake", "template", t.Name, "err", err)
		return
	}
	run.Tickets.Opened, run.Tickets.Updated = res.Opened+res.Reopened, res.Updated+res.Attached
	if len(res.Tickets) != len(alerts) {
		return // an intake that does not say which ticket each alert is on
	}
	for k, i := range idx {
		run.Rows[i].TicketID = res.Tickets[k]
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func orStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
