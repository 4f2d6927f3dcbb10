package collector

import (
	"fmt"
	"net/url"
	"os"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/config"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/promapi"
	"github.com/roomwatch/roomwatch/internal/remotewrite"
	"github.com/roomwatch/roomwatch/internal/report/rollup"
	"github.com/roomwatch/roomwatch/internal/store"
)

// Storage configures the embedded TSDB (under global.data_dir/tsdb unless Path is set).
type Storage struct {
	// Path of the TSDB directory; <data_dir>/tsdb when empty.
	Path string `yaml:"path"`
	// Retention keeps samples this long; 40d by default (a full month for the
	// monthly SLA report plus margin). Less than 35d is refused.
	Retention config.Duration `yaml:"retention"`
	// MaxBytes bounds the blocks on disk (0: unbounded).
	MaxBytes int64 `yaml:"max_bytes"`
	// OutOfOrderWindow accepts samples up to this much older than the newest
	// in the TSDB, so that an agent replaying its disk buffer (up to 24h,
	// pushbuf's MaxAge) after an outage is stored; 25h by default, 0 refuses
	// late samples.
	OutOfOrderWindow config.Duration `yaml:"out_of_order_window"`
	// MaxAhead refuses samples stamped further than this past the collector's
	// clock, from every source (docs/security.md); 10m by default.
	MaxAhead config.Duration `yaml:"max_ahead"`
	// MaxSeries bounds the series the TSDB head holds: samples of new series
	// beyond it are refused (reason series_limit) while the series it holds
	// keep being appended; 2,000,000 by default, 0 for no limit.
	MaxSeries int `yaml:"max_series"`
	// RollupRetention keeps the daily availability roll-ups (rollups.db),
	// which quarterly and yearly reports read once raw samples are gone;
	// 800d by default, at least 400d.
	RollupRetention config.Duration `yaml:"rollup_retention"`
	// MaxSeriesPerWrite refuses whole a remote-write request with more series
	// (413, reason too_many_series); 50,000 by default, 0 for no limit.
	MaxSeriesPerWrite int `yaml:"max_series_per_write"`

	lines map[string]int // of the limits, for validation messages
}

// UnmarshalYAML records the lines of the limits for validation messages.
func (s *Storage) UnmarshalYAML(node *yaml.Node) error {
	type plain Storage
	if err := node.Decode((*plain)(s)); err != nil {
		return err
	}
	s.lines = keyLines(node, "max_series", "max_series_per_write")
	return nil
}

// Query bounds the queries of the HTTP API (/api/v1/query and query_range).
type Query struct {
	// MaxSamples bounds the samples one query may hold in memory at once, as
	// Prometheus's --query.max-samples (the rule evaluator's queries too);
	// 50,000,000 by default. A larger query fails with 422.
	MaxSamples int `yaml:"max_samples"`
	// MaxSeries bounds the series of one answer: a larger one is answered
	// 422 "query returns too many series"; 100,000 by default, 0 for no limit.
	MaxSeries int `yaml:"max_series"`

	lines map[string]int
}

// UnmarshalYAML records the lines of the limits for validation messages.
func (q *Query) UnmarshalYAML(node *yaml.Node) error {
	type plain Query
	if err := node.Decode((*plain)(q)); err != nil {
		return err
	}
	q.lines = keyLines(node, "max_samples", "max_series")
	return nil
}

// keyLines returns the line of each key's value in a mapping node.
func keyLines(node *yaml.Node, keys ...string) map[string]int {
	m := make(map[string]int, len(keys))
	for _, k := range keys {
		m[k] = config.ValueNode(node, k).Line
	}
	return m
}

func defaultQuery() Query {
	return Query{MaxSamples: store.DefaultMaxSamples, MaxSeries: promapi.DefaultMaxSeries}
}

// limitOrNone turns a setting where 0 means no limit into an option where
// 0 means the default and a negative value no limit.
func limitOrNone(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// Rules configures in-process rule evaluation.
type Rules struct {
	// Files are rule files or globs; rules/alerts/*.yml by default.
	Files []string `yaml:"files"`
	// EvaluationInterval for groups that set none; 30s by default.
	EvaluationInterval config.Duration `yaml:"evaluation_interval"`
	// Alertmanagers also receive every alert (API v2), e.g. http://127.0.0.1:9093.
	Alertmanagers []string `yaml:"alertmanagers"`
	// ExternalURL is where alert links point; http://<hostname>:<port> by default.
	ExternalURL string `yaml:"external_url"`
}

// ScrapeTarget is a /metrics endpoint the collector scrapes itself (an agent
// that cannot push, node_exporter, any exporter). Every series gets the
// target's device, class and site labels, plus job and instance.
type ScrapeTarget struct {
	URL      string            `yaml:"url"`
	Job      string            `yaml:"job"`    // roomwatch-agent by default
	Device   string            `yaml:"device"` // the inventory name; the URL's host by default
	Class    inventory.Class   `yaml:"class"`  // server by default
	Site     string            `yaml:"site"`   // global.site by default
	Interval config.Duration   `yaml:"interval"`
	Timeout  config.Duration   `yaml:"timeout"`
	Labels   map[string]string `yaml:"labels"`
}

// DefaultOutOfOrderWindow is storage.out_of_order_window's default: an agent's
// whole disk buffer (24h) plus an hour for the replay itself.
const DefaultOutOfOrderWindow = 25 * time.Hour

func defaultStorage() Storage {
	return Storage{Retention: config.Duration(store.DefaultRetention), OutOfOrderWindow: config.Duration(DefaultOutOfOrderWindow),
		MaxSeries: store.DefaultMaxSeries, MaxSeriesPerWrite: remotewrite.DefaultMaxSeriesPerWrite}
}

func defaultRules() Rules {
	return Rules{Files: []string{defaultAlertFiles}, EvaluationInterval: config.Duration(30 * time.Second)}
}

// defaultScrape scrapes a roomwatch-agent on this host, so that a collector
// started with no config monitors its own machine.
func defaultScrape() []ScrapeTarget {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return []ScrapeTarget{{URL: "http://127.0.0.1:9110/metrics", Job: "roomwatch-agent", Device: host, Class: inventory.ClassServer}}
}

// validateCore checks the storage, rules and scrape sections and fills defaults.

func (c *Config) validateCore() error {
	if r := c.Storage.Retention.Std(); r != 0 && r < 35*24*time.Hour {
		return &config.LineError{Msg: fmt.Sprintf("storage.retention %v: keep at least 35d so that the monthly report has a full month", r)}
	}
	if c.Storage.Retention == 0 {
		c.Storage.Retention = config.Duration(store.DefaultRetention)
	}
	if r := c.Storage.RollupRetention.Std(); r != 0 && r < rollup.MinRetention {
		return &config.LineError{Msg: fmt.Sprintf("storage.rollup_retention %v: keep at least 400d so that yearly and quarterly reports have their days", r)}
	}
	if c.Storage.OutOfOrderWindow < 0 {
		return &config.LineError{Msg: "storage.out_of_order_window must not be negative"}
	}
	if _, err := promapi.CompileCORSOrigin(c.Web.CORSOrigin); err != nil {
		return &config.LineError{Msg: fmt.Sprintf("web.cors_origin %q: %v", c.Web.CORSOrigin, err)}
	}
	if c.Web.MaxConnections < 0 {
		return &config.LineError{Line: c.Web.line, Msg: fmt.Sprintf("web.max_connections %d must not be negative (0 for no limit)", c.Web.MaxConnections)}
	}
	for _, d := range []struct {
		key string
		v   config.Duration
	}{{"read_header_timeout", c.Web.ReadHeaderTimeout}, {"read_timeout", c.Web.ReadTimeout}, {"idle_timeout", c.Web.IdleTimeout}} {
		if d.v < 0 {
			return &config.LineError{Msg: fmt.Sprintf("web.%s must not be negative (0 turns it off)", d.key)}
		}
	}
	if c.Storage.MaxAhead < 0 {
		return &config.LineError{Msg: "storage.max_ahead must not be negative"}
	}
	if c.Storage.MaxAhead == 0 {
		c.Storage.MaxAhead = config.Duration(store.DefaultMaxAhead)
	}
	for _, l := range []struct {
		key string
		v   int
		ln  int
	}{
		{"storage.max_series", c.Storage.MaxSeries, c.Storage.lines["max_series"]},
		{"storage.max_series_per_write", c.Storage.MaxSeriesPerWrite, c.Storage.lines["max_series_per_write"]},
		{"query.max_series", c.Query.MaxSeries, c.Query.lines["max_series"]},
	} {
		if l.v < 0 {
			return &config.LineError{Line: l.ln, Msg: fmt.Sprintf("%s %d must not be negative (0 for no limit)", l.key, l.v)}
		}
	}
	if c.Query.MaxSamples <= 0 {
		return &config.LineError{Line: c.Query.lines["max_samples"], Msg: fmt.Sprintf("query.max_samples %d must be positive", c.Query.MaxSamples)}
	}
	if c.Storage.MaxBytes < 0 {
		return &config.LineError{Msg: "storage.max_bytes must not be negative"}
	}
	if c.Rules.EvaluationInterval.Std() < 0 {
		return &config.LineError{Msg: "rules.evaluation_interval must be positive"}
	}
	for _, u := range c.Rules.Alertmanagers {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return &config.LineError{Msg: fmt.Sprintf("rules.alertmanagers: %q is not an http(s)://host:port URL", u)}
		}
	}
	for i := range c.Scrape {
		t := &c.Scrape[i]
		pu, err := url.Parse(t.URL)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return &config.LineError{Msg: fmt.Sprintf("scrape[%d].url: %q is not an http(s) URL", i, t.URL)}
		}
		if t.Job == "" {
			t.Job = "roomwatch-agent"
		}
		if t.Device == "" {
			t.Device = pu.Hostname()
		}
		if t.Class == "" {
			t.Class = inventory.ClassServer
		}
		if !t.Class.Valid() {
			return &config.LineError{Msg: fmt.Sprintf("scrape[%d].class: unknown class %q", i, t.Class)}
		}
		if t.Site == "" {
			t.Site = c.Global.Site
		}
		if t.Interval == 0 {
			t.Interval = config.Duration(15 * time.Second)
		}
		if t.Timeout == 0 || t.Timeout > t.Interval {
			t.Timeout = min(config.Duration(10*time.Second), t.Interval)
		}
	}
	return nil
}
