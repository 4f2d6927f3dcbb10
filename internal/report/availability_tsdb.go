package report

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
)

// SeriesQueryable opens a querier over raw samples; *store.Store (the
// collector's TSDB) implements it.
type SeriesQueryable interface {
	Querier(mint, maxt int64) (storage.Querier, error)
}

// dayShard is one calendar day of a period (the last may be shorter).
type dayShard struct{ from, to time.Time }

// availabilitySeries reads the up series straight from the TSDB: the period
// [p.Start, end) is cut into calendar days, a bounded pool of workers (one per
// CPU) each opens a querier over its day, selects the up series once and walks
// every series' chunks once, adding up the samples and their values per
// device. It gives the numbers of the PromQL path (sum_over_time and
// count_over_time per day, added up) without the range evaluation.
func (r *Reporter) availabilitySeries(ctx context.Context, p Period, end time.Time) (map[string]*DeviceAvail, error) {
	ms, err := parser.NewParser(parser.Options{}).ParseMetricSelector(r.o.UpSelector)
	if err != nil {
		return nil, fmt.Errorf("availability: selector %q: %w", r.o.UpSelector, err)
	}
	var shards []dayShard
	for s := p.Start; s.Before(end); {
		e := s.In(r.o.Location).AddDate(0, 0, 1)
		if e.After(end) {
			e = end
		}
		shards = append(shards, dayShard{s, e})
		s = e
	}
	workers := min(runtime.GOMAXPROCS(0), len(shards))
	r.progress("可用率 availability: %d days from the TSDB, %d workers", len(shards), workers)
	results := make([]map[string]*DeviceAvail, len(shards))
	errs := make([]error, len(shards))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				results[i], errs[i] = scanShard(ctx, r.src.Series, ms, shards[i])
			}
		})
	}
	for i := range shards {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	out := map[string]*DeviceAvail{}
	for i, res := range results {
		if errs[i] != nil {
			return nil, fmt.Errorf("availability: %s: %w", shards[i].from.Format("2006-01-02"), errs[i])
		}
		for dev, d := range res {
			o := out[dev]
			if o == nil {
				out[dev] = d
				continue
			}
			o.Up += d.Up
			o.Samples += d.Samples
		}
	}
	r.progress("可用率 availability: %d devices", len(out))
	return out, nil
}

// scanShard adds up the samples of the selected series in [sh.from, sh.to)
// per device. Stale markers are not samples (as in sum_over_time).
func scanShard(ctx context.Context, q SeriesQueryable, ms []*labels.Matcher, sh dayShard) (map[string]*DeviceAvail, error) {
	mint, maxt := sh.from.UnixMilli(), sh.to.UnixMilli()-1
	qr, err := q.Querier(mint, maxt)
	if err != nil {
		return nil, err
	}
	defer qr.Close()
	hints := &storage.SelectHints{Start: mint, End: maxt}
	ss := qr.Select(ctx, false, hints, ms...)
	out := map[string]*DeviceAvail{}
	var it chunkenc.Iterator
	for n := 0; ss.Next(); n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		s := ss.At()
		ls := s.Labels()
		dev := ls.Get("device")
		if dev == "" {
			continue
		}
		var up, cnt float64
		it = s.Iterator(it)
		for vt := it.Seek(mint); vt != chunkenc.ValNone; vt = it.Next() {
			if vt != chunkenc.ValFloat {
				continue
			}
			t, v := it.At()
			if t > maxt {
				break
			}
			if t < mint || value.IsStaleNaN(v) {
				continue
			}
			up += v
			cnt++
		}
		if err := it.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", ls, err)
		}
		if cnt == 0 {
			continue
		}
		d := out[dev]
		if d == nil {
			d = &DeviceAvail{Device: dev, Class: ls.Get("class"), Site: ls.Get("site")}
			out[dev] = d
		}
		d.Up += up
		d.Samples += cnt
	}
	if err := ss.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
