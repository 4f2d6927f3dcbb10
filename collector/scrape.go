package collector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"

	"github.com/jonboulle/clockwork"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/metadata"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/storage"

	"github.com/roomwatch/roomwatch/internal/labelset"
	"github.com/roomwatch/roomwatch/internal/store"
)

// maxScrapeBytes bounds one scrape body.
const maxScrapeBytes = 64 << 20

// scraper pulls one target's text exposition into the store, like a minimal
// Prometheus scrape: target labels win over exposed ones, and up and
// scrape_duration_seconds series are added.
type scraper struct {
	t       ScrapeTarget
	app     storage.Appendable
	meta    *store.MetadataStore
	metrics *store.IngestMetrics
	client  *http.Client
	clock   clockwork.Clock
	log     *slog.Logger

	target labels.Labels
	last   map[string]labels.Labels // series of the previous scrape, for staleness markers
	// onUp, when set, is told of every successful scrape (the agent registry
	// for roomwatch-agent targets), so a pulled agent is listed and watched too.
	onUp func(device string, unixSeconds float64)
}

func newScraper(t ScrapeTarget, app storage.Appendable, meta *store.MetadataStore, m *store.IngestMetrics, clock clockwork.Clock, log *slog.Logger) *scraper {
	u, _ := url.Parse(t.URL)
	tl := map[string]string{}
	for k, v := range t.Labels {
		tl[k] = v
	}
	tl["job"], tl["instance"], tl["device"], tl["class"], tl["site"] = t.Job, u.Host, t.Device, string(t.Class), t.Site
	return &scraper{t: t, app: app, meta: meta, metrics: m, client: &http.Client{}, clock: clock, log: log,
		target: labels.FromMap(tl), last: map[string]labels.Labels{}}
}

// run scrapes every interval until ctx ends.
func (s *scraper) run(ctx context.Context) {
	tick := s.clock.NewTicker(s.t.Interval.Std())
	defer tick.Stop()
	for {
		s.scrapeOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.Chan():
		}
	}
}

// scrapeOnce scrapes, appends and returns the scrape error (nil when up).
func (s *scraper) scrapeOnce(ctx context.Context) error {
	start := s.clock.Now()
	fams, err := s.fetch(ctx)
	ts := start.UnixMilli()
	app := s.app.Appender(ctx)
	seen := map[string]labels.Labels{}
	appended, dropped := 0, 0
	if err == nil {
		for name, mf := range fams {
			if s.meta != nil {
				s.meta.Set(name, metadata.Metadata{Type: model.MetricType(strings.ToLower(mf.GetType().String())), Help: mf.GetHelp()})
			}
			for _, m := range mf.GetMetric() {
				for _, smp := range flatten(name, mf.GetType(), m) {
					ls := s.withTarget(smp.labels)
					t := ts
					if m.TimestampMs != nil {
						t = m.GetTimestampMs()
					}
					if _, aerr := app.Append(0, ls, t, smp.v); aerr != nil {
						if !store.CountedByGuard(aerr) { // the FutureGuard counted those
							dropped++
						}
						continue
					}
					appended++
					seen[ls.String()] = ls
				}
			}
		}
	}
	up := 1.0
	if err != nil {
		up = 0
		s.log.Warn("scrape failed", "url", s.t.URL, "device", s.t.Device, "err", err)
	}
	dur := s.clock.Since(start).Seconds()
	for name, v := range map[string]float64{"up": up, "scrape_duration_seconds": dur, "scrape_samples_scraped": float64(appended + dropped)} {
		ls := s.withTarget(labels.FromStrings(model.MetricNameLabel, name))
		if _, aerr := app.Append(0, ls, ts, v); aerr == nil {
			appended++
		}
	}
	// Series gone since the last scrape get a staleness marker, as in Prometheus.
	for k, ls := range s.last {
		if _, ok := seen[k]; !ok {
			_, _ = app.Append(0, ls, ts, math.Float64frombits(value.StaleNaN))
		}
	}
	s.last = seen
	if cerr := app.Commit(); cerr != nil {
		s.metrics.Dropped.WithLabelValues("scrape", "commit").Add(float64(appended))
		return fmt.Errorf("scrape %s: commit: %w", s.t.URL, cerr)
	}
	s.metrics.Appended.WithLabelValues("scrape").Add(float64(appended))
	if dropped > 0 {
		s.metrics.Dropped.WithLabelValues("scrape", "rejected").Add(float64(dropped))
	}
	if err == nil && s.onUp != nil {
		s.onUp(s.t.Device, float64(start.UnixMilli())/1000)
	}
	return err
}

func (s *scraper) fetch(ctx context.Context) (map[string]*dto.MetricFamily, error) {
	ctx, cancel := context.WithTimeout(ctx, s.t.Timeout.Std())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.t.URL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", s.t.URL, resp.Status)
	}
	fams, err := parseExposition(io.LimitReader(resp.Body, maxScrapeBytes))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.t.URL, err)
	}
	return fams, nil
}

// parseExposition parses a text exposition; an empty one is an error.
func parseExposition(r io.Reader) (map[string]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if len(fams) == 0 {
		return nil, errors.New("empty exposition")
	}
	return fams, nil
}

// withTarget sets the target labels over the exposed ones as Prometheus does
// with honor_labels: false: an exposed label of the same name is kept as
// exported_<name> (exported_exported_<name> if that is taken). The agent's
// node_network_up{device="eth0"} scraped as device="srv-01" is stored as
// {device="srv-01", exported_device="eth0"}, so two interfaces never collapse
// into one series, and the same series as a Prometheus scraping it stores.
func (s *scraper) withTarget(ls labels.Labels) labels.Labels {
	return withTargetLabels(ls, s.target)
}

func withTargetLabels(ls, target labels.Labels) labels.Labels {
	exposed := make([]labelset.Label, 0, ls.Len()+target.Len())
	ls.Range(func(l labels.Label) { exposed = append(exposed, labelset.Label{Name: l.Name, Value: l.Value}) })
	tl := make([]labelset.Label, 0, target.Len())
	target.Range(func(l labels.Label) { tl = append(tl, labelset.Label{Name: l.Name, Value: l.Value}) })
	b := labels.NewScratchBuilder(len(exposed) + len(tl))
	for _, l := range labelset.SetTarget(exposed, tl) {
		if l.Value != "" {
			b.Add(l.Name, l.Value)
		}
	}
	b.Sort()
	return b.Labels()
}

type flatSample struct {
	labels labels.Labels
	v      float64
}

// flatten turns one exposed metric into series as Prometheus stores them
// (summaries and histograms become _sum, _count, quantile and _bucket series).
func flatten(name string, typ dto.MetricType, m *dto.Metric) []flatSample {
	base := map[string]string{model.MetricNameLabel: name}
	for _, lp := range m.GetLabel() {
		base[lp.GetName()] = lp.GetValue()
	}
	with := func(suffix string, v float64, extra ...string) flatSample {
		mm := make(map[string]string, len(base)+1)
		for k, x := range base {
			mm[k] = x
		}
		mm[model.MetricNameLabel] = name + suffix
		for i := 0; i+1 < len(extra); i += 2 {
			mm[extra[i]] = extra[i+1]
		}
		return flatSample{labels.FromMap(mm), v}
	}
	switch typ {
	case dto.MetricType_COUNTER:
		return []flatSample{with("", m.GetCounter().GetValue())}
	case dto.MetricType_GAUGE:
		return []flatSample{with("", m.GetGauge().GetValue())}
	case dto.MetricType_UNTYPED:
		return []flatSample{with("", m.GetUntyped().GetValue())}
	case dto.MetricType_SUMMARY:
		sm := m.GetSummary()
		out := []flatSample{with("_sum", sm.GetSampleSum()), with("_count", float64(sm.GetSampleCount()))}
		for _, q := range sm.GetQuantile() {
			out = append(out, with("", q.GetValue(), "quantile", model.FloatString(q.GetQuantile()).String()))
		}
		return out
	case dto.MetricType_HISTOGRAM:
		h := m.GetHistogram()
		out := []flatSample{with("_sum", h.GetSampleSum()), with("_count", float64(h.GetSampleCount()))}
		inf := false
		for _, b := range h.GetBucket() {
			if math.IsInf(b.GetUpperBound(), 1) {
				inf = true
			}
			out = append(out, with("_bucket", float64(b.GetCumulativeCount()), "le", model.FloatString(b.GetUpperBound()).String()))
		}
		if !inf {
			out = append(out, with("_bucket", float64(h.GetSampleCount()), "le", "+Inf"))
		}
		return out
	}
	return nil
}
