package report

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/roomwatch/roomwatch/internal/silence"
)

// WindowLister gives the maintenance windows (silences) in force at some
// moment of [start, end); *silence.Set implements it.
type WindowLister interface {
	Between(ctx context.Context, start, end time.Time) ([]*silence.Silence, error)
}

// windowCovers reports whether a window counts against a device's
// availability: its matchers select the device by its device, site and
// class labels alone (a window naming an alertname covers some alerts of a
// device, not its being up).
func windowCovers(w *silence.Silence, d *DeviceAvail) bool {
	ls := map[string]string{"device": d.Device, "site": d.Site, "class": d.Class}
	for _, m := range w.Matchers {
		if !m.Matches(ls) {
			return false
		}
	}
	return true
}

// span is a time interval [from, to).
type span struct{ from, to time.Time }

// coveredSpans returns, per device, the merged parts of [start, end) that
// windows cover.
func coveredSpans(ws []*silence.Silence, devs map[string]*DeviceAvail, start, end time.Time) map[string][]span {
	out := map[string][]span{}
	for dev, d := range devs {
		var ss []span
		for _, w := range ws {
			from, to := maxTime(w.StartsAt, start), minTime(w.EndsAt, end)
			if from.Before(to) && windowCovers(w, d) {
				ss = append(ss, span{from, to})
			}
		}
		if len(ss) == 0 {
			continue
		}
		sort.Slice(ss, func(i, j int) bool { return ss[i].from.Before(ss[j].from) })
		merged := ss[:1]
		for _, s := range ss[1:] {
			last := &merged[len(merged)-1]
			if !s.from.After(last.to) {
				last.to = maxTime(last.to, s.to)
				continue
			}
			merged = append(merged, s)
		}
		out[dev] = merged
	}
	return out
}

// excludeWindows takes the samples inside maintenance windows out of each
// covered device's totals and notes the time taken out (DeviceAvail.Excluded).
func (r *Reporter) excludeWindows(ctx context.Context, ws []*silence.Silence, out map[string]*DeviceAvail, start, end time.Time) error {
	cov := coveredSpans(ws, out, start, end)
	byspan := map[span][]string{}
	for dev, ss := range cov {
		for _, s := range ss {
			byspan[s] = append(byspan[s], dev)
		}
	}
	for s, devs := range byspan {
		sums, err := r.sumsIn(ctx, s)
		if err != nil {
			return fmt.Errorf("availability: maintenance window %s – %s: %w", s.from.Format(time.RFC3339), s.to.Format(time.RFC3339), err)
		}
		for _, dev := range devs {
			d := out[dev]
			d.Excluded += s.to.Sub(s.from)
			if w := sums[dev]; w != nil {
				d.Up -= w.Up
				d.Samples -= w.Samples
			}
		}
	}
	return nil
}

// sumsIn is the up samples and their sum per device in [s.from, s.to), read
// as availability reads them (the TSDB, else PromQL).
func (r *Reporter) sumsIn(ctx context.Context, s span) (map[string]*DeviceAvail, error) {
	if r.src.Series == nil && r.src.Metrics == nil {
		// Only daily roll-ups (the raw samples are gone): the window's
		// samples cannot be told apart from the rest of its days.
		return map[string]*DeviceAvail{}, nil
	}
	if r.src.Series != nil {
		ms, err := parser.NewParser(parser.Options{}).ParseMetricSelector(r.o.UpSelector)
		if err != nil {
			return nil, err
		}
		return scanShard(ctx, r.src.Series, ms, dayShard(s))
	}
	out := map[string]*DeviceAvail{}
	rng := model.Duration(s.to.Sub(s.from)).String()
	at := s.to.Add(-time.Millisecond)
	for _, q := range []struct {
		fn string
		up bool
	}{{"sum_over_time", true}, {"count_over_time", false}} {
		v, err := r.src.Metrics.Query(ctx, fmt.Sprintf("sum by (device) (%s(%s[%s]))", q.fn, r.o.UpSelector, rng), at)
		if err != nil {
			return nil, err
		}
		vec, ok := v.(model.Vector)
		if !ok {
			return nil, fmt.Errorf("%s: want a vector, got %s", q.fn, v.Type())
		}
		for _, smp := range vec {
			dev := string(smp.Metric["device"])
			d := out[dev]
			if d == nil {
				d = &DeviceAvail{Device: dev}
				out[dev] = d
			}
			if q.up {
				d.Up = float64(smp.Value)
			} else {
				d.Samples = float64(smp.Value)
			}
		}
	}
	return out, nil
}

// windowsIn lists the windows in force during p (nil without a source).
func (r *Reporter) windowsIn(ctx context.Context, p Period) ([]*silence.Silence, error) {
	if r.src.Silences == nil {
		return nil, nil
	}
	ws, err := r.src.Silences.Between(ctx, p.Start, p.End)
	if err != nil {
		return nil, fmt.Errorf("maintenance windows: %w", err)
	}
	slices.SortFunc(ws, func(a, b *silence.Silence) int { return a.StartsAt.Compare(b.StartsAt) })
	return ws, nil
}

// maintenanceSection lists the windows of the period.
func (r *Reporter) maintenanceSection(ws []*silence.Silence, p Period) Section {
	sec := Section{Sheet: "计划维护", Title: "计划维护（屏蔽）窗口", TitleEN: "Maintenance windows (silences)",
		Columns: []Column{{Title: "开始", TitleEN: "Starts", Width: 18}, {Title: "结束", TitleEN: "Ends", Width: 18},
			{Title: "本期内时长", TitleEN: "In period", Width: 14}, {Title: "匹配条件", TitleEN: "Matchers", Width: 36},
			{Title: "创建人", TitleEN: "Created by"}, {Title: "原因", TitleEN: "Reason", Width: 30}}}
	for _, w := range ws {
		in := minTime(w.EndsAt, p.End).Sub(maxTime(w.StartsAt, p.Start))
		sec.Rows = append(sec.Rows, []any{r.t(w.StartsAt), r.t(w.EndsAt), Dur(in), w.MatchersString(), w.CreatedBy, w.Comment})
	}
	sec.Note = "窗口内匹配的告警只记录、不开工单、不发通知；按设备、站点、类别选中设备的窗口时间不计入该设备的可用率（累计中断与可用率均已扣除）；" +
		"窗口覆盖已开工单的时间不计入其修复类 SLA 计时（修复、恢复运行、备件、未解决升级、应急方案）。" +
		" Alerts in a window open no ticket; a window selecting a device by device, site or class is left out of its availability," +
		" and the time it covers an open ticket is left out of that ticket's repair timers."
	if len(ws) == 0 {
		sec.Note = "本期无计划维护窗口 / no maintenance windows in the period. " + sec.Note
	}
	return sec
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
