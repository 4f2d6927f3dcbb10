// Package promapi serves the subset of the Prometheus HTTP API that Grafana's
// Prometheus data source and the wall display use (/api/v1/query, query_range,
// series, labels, label values, metadata, status/buildinfo, rules, alerts,
// format_query, query_exemplars) over the embedded store. The query endpoints
// are Prometheus's own handlers (web/api/v1), so answers match a real
// Prometheus byte for byte; everything else in that API is not exposed.
package promapi

import (
	"context"
	"encoding/json"
	"github.com/grafana/regexp"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/route"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/metadata"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/rules"
	"github.com/prometheus/prometheus/scrape"
	"github.com/prometheus/prometheus/storage"
	v1 "github.com/prometheus/prometheus/web/api/v1"

	"github.com/roomwatch/roomwatch/internal/buildinfo"
)

// MetadataSource lists metric metadata for /api/v1/metadata.
type MetadataSource interface {
	Families() []string
	Get(family string) (metadata.Metadata, bool)
}

// Options configure the API handler.
type Options struct {
	Engine    promql.QueryEngine
	Queryable storage.SampleAndChunkQueryable
	Exemplars storage.ExemplarQueryable // may be nil
	Metadata  MetadataSource            // may be nil
	// Rules feeds /api/v1/rules and /api/v1/alerts; nil serves empty lists.
	Rules v1.RulesRetriever
	// Lookback is PromQL's lookback delta (5m when zero).
	Lookback time.Duration
	// QueryTimeout bounds a query (2m when zero).
	QueryTimeout time.Duration
	// MaxSeries bounds the series of one /api/v1/query or query_range answer:
	// a larger one is answered 422 "query returns too many series".
	// DefaultMaxSeries when zero, no limit when negative. (The samples a
	// query may load are bounded by the engine's MaxSamples.)
	MaxSeries int
	// CORSOrigin is the anchored regular expression of the browser origins
	// (scheme://host[:port]) allowed to read answers cross-site, Prometheus's
	// --web.cors.origin; nil allows none (same-origin pages and non-browser
	// clients such as Grafana's server-side data source are unaffected).
	CORSOrigin *regexp.Regexp
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer
}

// CompileCORSOrigin compiles a web.cors_origin setting as Prometheus does
// (anchored: "https?://grafana\\.example:3000" must match the whole
// Origin); "" allows no origin, ".*" allows every one.
func CompileCORSOrigin(expr string) (*regexp.Regexp, error) {
	if expr == "" {
		return regexp.Compile(`^$`) // no Origin header is empty: matches none
	}
	return regexp.Compile("^(?:" + expr + ")$")
}

// allowed lists the endpoints served under /api/v1.
var allowed = regexp.MustCompile(`^/api/v1/(query|query_range|query_exemplars|format_query|parse_query|labels|label/[^/]+/values|series|status/buildinfo|rules|alerts)$`)

// servedPaths are the paths of allowed, for the OpenAPI document Prometheus's
// API builds and keeps in memory: roomwatch never serves it
// (/api/v1/openapi.yaml is not allowed), and limited to these paths it
// takes a fraction of the megabyte the whole API's does.
var servedPaths = []string{"/query", "/format_query", "/parse_query", "/labels", "/label/", "/series", "/status/buildinfo", "/rules", "/alerts"}

// Handler serves /api/v1/….
type Handler struct {
	router *route.Router
	meta   MetadataSource
}

// New returns the API handler; mount it at /api/v1/.
func New(opts Options) *Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Lookback <= 0 {
		opts.Lookback = 5 * time.Minute
	}
	if opts.QueryTimeout <= 0 {
		opts.QueryTimeout = 2 * time.Minute
	}
	if opts.MaxSeries == 0 {
		opts.MaxSeries = DefaultMaxSeries
	}
	engine := opts.Engine
	if opts.MaxSeries > 0 && engine != nil {
		engine = &seriesLimitEngine{QueryEngine: engine, max: opts.MaxSeries}
	}
	if opts.Gatherer == nil {
		opts.Gatherer = prometheus.NewRegistry()
	}
	if opts.Registerer == nil {
		opts.Registerer = prometheus.NewRegistry()
	}
	if opts.CORSOrigin == nil {
		opts.CORSOrigin, _ = CompileCORSOrigin("")
	}
	rr := opts.Rules
	if rr == nil {
		rr = noRules{}
	}
	info := buildinfo.Get()
	cwd, _ := os.Getwd()
	start := time.Now()
	api := v1.NewAPI(
		engine, opts.Queryable, nil, exemplars(opts.Exemplars),
		func(context.Context) v1.ScrapePoolsRetriever { return noTargets{} },
		func(context.Context) v1.TargetRetriever { return noTargets{} },
		func(context.Context) v1.AlertmanagerRetriever { return noTargets{} },
		func() config.Config { return config.DefaultConfig },
		map[string]string{},
		v1.GlobalURLOptions{},
		func(f http.HandlerFunc) http.HandlerFunc { return f },
		nil, "", false, false, 0,
		opts.Logger.With("component", "api"),
		func(context.Context) v1.RulesRetriever { return rr },
		0, 0, 0, false, opts.CORSOrigin,
		func() (v1.RuntimeInfo, error) { return v1.RuntimeInfo{StartTime: start, CWD: cwd}, nil },
		&v1.PrometheusVersion{Version: info.Version, Revision: info.Revision, Branch: info.Branch, BuildDate: info.BuildDate, GoVersion: info.GoVersion},
		nil, nil,
		opts.Gatherer, opts.Registerer, nil,
		false, nil, false, false, false,
		opts.Lookback, false, false, nil, nil, v1.OpenAPIOptions{IncludePaths: servedPaths}, nil, false, opts.QueryTimeout,
	)
	r := route.New().WithPrefix("/api/v1")
	api.Register(r)
	return &Handler{router: r, meta: opts.Metadata}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api/v1/metadata" {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"status": "error", "errorType": "bad_data",
				"error": "method " + r.Method + " not allowed on /api/v1/metadata; use GET"})
			return
		}
		h.metadata(w, r)
		return
	}
	if !allowed.MatchString(r.URL.Path) {
		writeJSON(w, http.StatusNotFound, map[string]any{"status": "error", "errorType": "not_found",
			"error": "roomwatch serves only the query subset of the Prometheus API"})
		return
	}
	h.router.ServeHTTP(w, r)
}

// metadata answers /api/v1/metadata like Prometheus from what ingest recorded.
func (h *Handler) metadata(w http.ResponseWriter, r *http.Request) {
	type entry struct {
		Type string `json:"type"`
		Help string `json:"help"`
		Unit string `json:"unit"`
	}
	data := map[string][]entry{}
	limit := -1
	if s := r.FormValue("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"status": "error", "errorType": "bad_data", "error": "limit must be a number"})
			return
		}
		limit = n
	}
	if h.meta != nil {
		want := r.FormValue("metric")
		for _, f := range h.meta.Families() {
			if want != "" && f != want {
				continue
			}
			if limit >= 0 && len(data) >= limit {
				break
			}
			md, _ := h.meta.Get(f)
			data[f] = []entry{{Type: string(md.Type), Help: md.Help, Unit: md.Unit}}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "success", "data": data})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

type noTargets struct{}

func (noTargets) ScrapePools() []string                                 { return nil }
func (noTargets) TargetsActive() map[string][]*scrape.Target            { return nil }
func (noTargets) TargetsDropped() map[string][]*scrape.Target           { return nil }
func (noTargets) TargetsDroppedCounts() map[string]int                  { return nil }
func (noTargets) ScrapePoolConfig(string) (*config.ScrapeConfig, error) { return nil, nil }
func (noTargets) Alertmanagers() []*url.URL                             { return nil }
func (noTargets) DroppedAlertmanagers() []*url.URL                      { return nil }

type noRules struct{}

func (noRules) RuleGroups() []*rules.Group           { return nil }
func (noRules) AlertingRules() []*rules.AlertingRule { return nil }

// exemplars returns q or an empty exemplar store.
func exemplars(q storage.ExemplarQueryable) storage.ExemplarQueryable {
	if q != nil {
		return q
	}
	return emptyExemplars{}
}

type emptyExemplars struct{}

func (emptyExemplars) ExemplarQuerier(context.Context) (storage.ExemplarQuerier, error) {
	return emptyExemplars{}, nil
}

func (emptyExemplars) Select(int64, int64, ...[]*labels.Matcher) ([]exemplar.QueryResult, error) {
	return []exemplar.QueryResult{}, nil
}
