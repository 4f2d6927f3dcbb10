package report

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/common/model"
)

// DeviceAvail is one device's availability over a period.
type DeviceAvail struct {
	Device, Class, Site string
	Samples             float64 // up samples seen
	Up                  float64 // samples with the value 1 (sum of the 0/1 values)
	Availability        float64 // Up / Samples
	Down                time.Duration
	// Excluded is the time maintenance windows took out (maintenance.go).
	Excluded time.Duration
}

// ClassAvail is a device class's availability: the mean of its devices'.
type ClassAvail struct {
	Class        string
	Devices      int // devices with samples
	Inventory    int // devices in the inventory
	Availability float64
	Down         time.Duration // sum of the devices' estimated downtime
	Below99      int           // devices under 99%
}

// availability reads sum_over_time and count_over_time of the up series in
// one-day windows (a range query at a 1-day step, so no single evaluation
// loads more than a day of samples) and adds them up per device. A remainder
// shorter than a day (a period ending now) is one more instant query.
//
// With Sources.Series (the TSDB opened in-process) the samples are read
// directly instead (availabilitySeries), with the same result. With
// Sources.Rollups, the calendar days already rolled up are read from there
// (they outlive the TSDB's retention) and only the others from the TSDB.
func (r *Reporter) availability(ctx context.Context, p Period) (map[string]*DeviceAvail, error) {
	if r.src.Metrics == nil && r.src.Series == nil && r.src.Rollups == nil {
		return nil, nil
	}
	end := p.End
	if now := r.o.Clock.Now(); now.Before(end) {
		end = now
	}
	if !end.After(p.Start) {
		return map[string]*DeviceAvail{}, nil
	}
	out, err := r.availabilityDays(ctx, p.Start, end)
	if err != nil {
		return nil, err
	}
	ws, err := r.windowsIn(ctx, p)
	if err == nil && len(ws) > 0 {
		err = r.excludeWindows(ctx, ws, out, p.Start, end)
	}
	if err != nil {
		return nil, err
	}
	span := end.Sub(p.Start)
	for _, d := range out {
		if d.Samples > 0 {
			d.Availability = d.Up / d.Samples
		} else if d.Excluded > 0 {
			d.Availability = 1 // in maintenance all the period
		}
		d.Down = time.Duration((1 - d.Availability) * float64(span-d.Excluded)).Round(time.Minute)
	}
	return out, nil
}

// availabilityDays adds up the samples of [from, end) per device: rolled-up
// days from Sources.Rollups, the rest from the TSDB in contiguous runs.
func (r *Reporter) availabilityDays(ctx context.Context, from, end time.Time) (map[string]*DeviceAvail, error) {
	if r.src.Rollups == nil {
		return r.DayTotals(ctx, from, end)
	}
	type span struct{ from, to time.Time }
	var days []span
	var names []string
	for s := from; s.Before(end); {
		e := s.In(r.o.Location).AddDate(0, 0, 1)
		e = time.Date(e.Year(), e.Month(), e.Day(), 0, 0, 0, 0, r.o.Location)
		if e.After(end) {
			e = end
		}
		days = append(days, span{s, e})
		names = append(names, s.In(r.o.Location).Format(DayLayout))
		s = e
	}
	rolled, err := r.src.Rollups.Days(ctx, names)
	if err != nil {
		return nil, fmt.Errorf("availability: %w", err)
	}
	out := map[string]*DeviceAvail{}
	addAll := func(m map[string]*DeviceAvail) {
		for dev, d := range m {
			o := out[dev]
			if o == nil {
				o = &DeviceAvail{Device: dev, Class: d.Class, Site: d.Site}
				out[dev] = o
			}
			o.Up += d.Up
			o.Samples += d.Samples
		}
	}
	var run *span // days not rolled up, read from the TSDB together
	flush := func() error {
		if run == nil {
			return nil
		}
		if r.src.Metrics != nil || r.src.Series != nil {
			m, err := r.DayTotals(ctx, run.from, run.to)
			if err != nil {
				return err
			}
			addAll(m)
		}
		run = nil
		return nil
	}
	used := 0
	for i, d := range days {
		// Only a whole day is ever rolled up; a partial first or last day
		// (a period ending now) comes from the TSDB.
		whole := d.to.Sub(d.from) >= 23*time.Hour && d.from.In(r.o.Location).Hour() == 0
		if m, ok := rolled[names[i]]; ok && whole {
			if err := flush(); err != nil {
				return nil, err
			}
			addAll(m)
			used++
			continue
		}
		if run == nil {
			run = &span{d.from, d.to}
		} else {
			run.to = d.to
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if used > 0 {
		r.progress("可用率 availability: %d of %d days from the daily roll-ups", used, len(days))
	}
	return out, nil
}

// DayTotals adds up the up samples of [from, to) per device from the TSDB
// (Samples and Up; Availability is left 0): the numbers a day's roll-up
// keeps. It reads Sources.Series when set, else Sources.Metrics.
func (r *Reporter) DayTotals(ctx context.Context, from, to time.Time) (map[string]*DeviceAvail, error) {
	p := Period{Start: from, End: to}
	switch {
	case r.src.Series != nil:
		return r.availabilitySeries(ctx, p, to)
	case r.src.Metrics != nil:
		return r.availabilityPromQL(ctx, p, to)
	}
	return map[string]*DeviceAvail{}, nil
}

// availabilityPromQL is availability through a PromQL API (Sources.Metrics):
// the query-API mode, when a running collector holds the TSDB.
func (r *Reporter) availabilityPromQL(ctx context.Context, p Period, end time.Time) (map[string]*DeviceAvail, error) {
	out := map[string]*DeviceAvail{}
	const day = 24 * time.Hour
	days := int(end.Sub(p.Start) / day)
	add := func(v model.Value, up bool) error {
		var streams []*model.SampleStream
		switch v := v.(type) {
		case model.Matrix:
			streams = v
		case model.Vector:
			for _, s := range v {
				streams = append(streams, &model.SampleStream{Metric: s.Metric, Values: []model.SamplePair{{Timestamp: s.Timestamp, Value: s.Value}}})
			}
		default:
			return fmt.Errorf("availability: unexpected result %T", v)
		}
		for _, s := range streams {
			dev := string(s.Metric["device"])
			if dev == "" {
				continue
			}
			d := out[dev]
			if d == nil {
				d = &DeviceAvail{Device: dev, Class: string(s.Metric["class"]), Site: string(s.Metric["site"])}
				out[dev] = d
			}
			for _, pt := range s.Values {
				if up {
					d.Up += float64(pt.Value)
				} else {
					d.Samples += float64(pt.Value)
				}
			}
		}
		return nil
	}
	sel := r.o.UpSelector
	sumQ := func(w string) string {
		return fmt.Sprintf("sum by (device, class, site) (sum_over_time(%s[%s]))", sel, w)
	}
	cntQ := func(w string) string {
		return fmt.Sprintf("sum by (device, class, site) (count_over_time(%s[%s]))", sel, w)
	}
	if days > 0 {
		// A range selector holds (t-1d, t]: evaluating 1 ms early makes each
		// window [day start, day end) so a sample at midnight counts once.
		first, last := p.Start.Add(day-time.Millisecond), p.Start.Add(time.Duration(days)*day-time.Millisecond)
		// The two queries run side by side (each reads every block once).
		exprs := []string{sumQ("1d"), cntQ("1d")}
		vals := make([]model.Value, len(exprs))
		errs := make([]error, len(exprs))
		var wg sync.WaitGroup
		for i, e := range exprs {
			r.progress("可用率查询 availability query: %s, %d × 1d", e, days)
			wg.Go(func() { vals[i], errs[i] = r.src.Metrics.QueryRange(ctx, e, first, last, day) })
		}
		wg.Wait()
		for i := range exprs {
			if errs[i] != nil {
				return nil, fmt.Errorf("availability: %w", errs[i])
			}
			if err := add(vals[i], i == 0); err != nil {
				return nil, err
			}
		}
		r.progress("可用率 availability: %d devices", len(out))
	}
	if rem := end.Sub(p.Start.Add(time.Duration(days) * day)); rem >= time.Second {
		w := model.Duration(rem.Truncate(time.Second)).String()
		for _, q := range []struct {
			expr string
			up   bool
		}{{sumQ(w), true}, {cntQ(w), false}} {
			v, err := r.src.Metrics.Query(ctx, q.expr, end.Add(-time.Millisecond))
			if err != nil {
				return nil, fmt.Errorf("availability: %w", err)
			}
			if err := add(v, q.up); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// byClass groups device availability per class, classes in inventory order.
func (r *Reporter) byClass(av map[string]*DeviceAvail) []ClassAvail {
	m := map[string]*ClassAvail{}
	get := func(c string) *ClassAvail {
		if c == "" {
			c = "other"
		}
		if m[c] == nil {
			m[c] = &ClassAvail{Class: c}
		}
		return m[c]
	}
	for _, c := range r.cls {
		get(c).Inventory++
	}
	for _, d := range av {
		c := get(d.Class)
		if d.Samples == 0 {
			continue
		}
		c.Devices++
		c.Availability += d.Availability
		c.Down += d.Down
		if d.Availability < 0.99 {
			c.Below99++
		}
	}
	out := make([]ClassAvail, 0, len(m))
	for _, c := range m {
		if c.Devices > 0 {
			c.Availability /= float64(c.Devices)
		}
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return classOrder(out[i].Class) < classOrder(out[j].Class) })
	return out
}

// worst returns the n devices of lowest availability (ties by name).
func worst(av map[string]*DeviceAvail, n int) []DeviceAvail {
	all := make([]DeviceAvail, 0, len(av))
	for _, d := range av {
		if d.Samples > 0 {
			all = append(all, *d)
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Availability != all[j].Availability {
			return all[i].Availability < all[j].Availability
		}
		return all[i].Device < all[j].Device
	})
	return all[:min(n, len(all))]
}

// classOrder sorts classes machine room first, front end last, unknown after.
func classOrder(c string) string {
	order := []string{"server", "storage", "switch", "router", "firewall", "ups", "ac", "env", "nvr", "camera", "checkpoint", "radio", "printer"}
	if i := slices.Index(order, c); i >= 0 {
		return fmt.Sprintf("%02d", i)
	}
	return "99" + c
}
