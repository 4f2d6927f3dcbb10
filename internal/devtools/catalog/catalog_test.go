package catalog

import (
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/metrics.md from the catalogue")

const root = "../../.."

var (
	buildOnce sync.Once
	built     *Catalog
	buildErr  error
)

// catalogue builds the repository's catalogue once per test binary.
func catalogue(t *testing.T) *Catalog {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the agent's sources are gathered from a Linux /proc fixture")
	}
	buildOnce.Do(func() { built, buildErr = Build(Options{Root: root}) })
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

// TestCatalogueHasEachSource checks that every producer contributed, with
// names the architecture promises (a source that silently yields nothing
// would otherwise pass every other check).
func TestCatalogueHasEachSource(t *testing.T) {
	t.Parallel()
	c := catalogue(t)
	for _, tc := range []struct{ name, source, typ, label string }{
		{"node_cpu_seconds_total", SourceAgent, "counter", "mode"},
		{"node_memory_MemAvailable_bytes", SourceAgent, "gauge", ""},
		{"node_filesystem_avail_bytes", SourceAgent, "gauge", "mountpoint"},
		{"node_network_receive_bytes_total", SourceAgent, "counter", "device"},
		{"roomwatch_process_up", SourceAgent, "gauge", "watch"},
		{"roomwatch_agent_push_sequence", SourceAgent, "gauge", ""},
		{"roomwatch_ping_loss_ratio", SourceProbe, "gauge", "device"},
		{"roomwatch_probe_up", SourceProbe, "gauge", "probe"},
		{"roomwatch_probe_error_info", SourceProbe, "info", "reason"},
		{"roomwatch_probe_tcp_port_open", SourceProbe, "gauge", "port"},
		{"roomwatch_checkpoint_capture_age_seconds", SourceProbe, "gauge", "site"},
		{"roomwatch_nvr_disk_ok", SourceProbe, "gauge", "disk"},
		{"roomwatch_device_info", SourceProbe, "info", "display_name"},
		{"roomwatch_ups_on_battery", SourceSNMP, "gauge", "class"},
		{"roomwatch_if_oper_status", SourceSNMP, "gauge", "ifName"},
		{"roomwatch_agent_last_seen_timestamp_seconds", SourceRegistry, "gauge", "agent"},
		{"roomwatch_ingest_samples_appended_total", SourceCollector, "counter", ""},
		{"roomwatch_collector_build_info", SourceCollector, "info", "version"},
		{"ALERTS", SourceRules, "gauge", "fault_level"},
	} {
		e, ok := c.Get(tc.name)
		if !ok {
			t.Errorf("%s: missing", tc.name)
			continue
		}
		if e.Source != tc.source || e.Type != tc.typ {
			t.Errorf("%s: source %s type %s, want %s %s (origins %v)", tc.name, e.Source, e.Type, tc.source, tc.typ, e.Origins)
		}
		if tc.label != "" && !contains(e.Labels, tc.label) {
			t.Errorf("%s: labels %v lack %s", tc.name, e.Labels, tc.label)
		}
	}
	if c.Len() < 150 {
		t.Errorf("only %d metrics in the catalogue", c.Len())
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

// TestQueriesNameCataloguedMetrics holds every rule, inspection item and
// dashboard query to the catalogue.
func TestQueriesNameCataloguedMetrics(t *testing.T) {
	t.Parallel()
	c := catalogue(t)
	for _, tc := range []struct {
		name string
		load func(string) ([]Query, error)
		dir  string
		min  int
	}{
		{"alerting rules", RuleQueries, "rules/alerts", 20},
		{"inspection templates", InspectionQueries, "rules/inspections", 20},
		{"dashboards", DashboardQueries, "dashboards", 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			qs, err := tc.load(filepath.Join(root, tc.dir))
			if err != nil {
				t.Fatal(err)
			}
			if len(qs) < tc.min {
				t.Fatalf("%d queries in %s, want at least %d", len(qs), tc.dir, tc.min)
			}
			for _, p := range c.Check(qs) {
				t.Error(p)
			}
		})
	}
}

// TestCheckFailsOnRename proves the check above can fail: a copy of a rule
// file, a template and a dashboard, checked against catalogues with one
// metric renamed, must each report exactly that metric.
func TestCheckFailsOnRename(t *testing.T) {
	t.Parallel()
	base := catalogue(t)
	for _, tc := range []struct {
		name, metric string
		file, dir    string
		load         func(string) ([]Query, error)
	}{
		{"rule", "roomwatch_ups_on_battery", "rules/alerts/power.yml", "alerts", RuleQueries},
		{"inspection", "node_memory_MemTotal_bytes", "rules/inspections/daily.yml", "inspections", InspectionQueries},
		{"dashboard", "roomwatch_checkpoint_capture_age_seconds", "dashboards/wall.json", "dashboards", DashboardQueries},
		{"dashboard variable", "roomwatch_device_info", "dashboards/wall.json", "dashboards", DashboardQueries},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), tc.dir)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(root, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, filepath.Base(tc.file)), b, 0o644); err != nil {
				t.Fatal(err)
			}
			qs, err := tc.load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if ps := base.Check(qs); len(ps) != 0 {
				t.Fatalf("unchanged catalogue: %v", ps)
			}
			c := clone(base)
			if err := c.Rename(tc.metric, tc.metric+"_renamed"); err != nil {
				t.Fatal(err)
			}
			ps := c.Check(qs)
			if len(ps) == 0 {
				t.Fatalf("renaming %s broke no query of %s", tc.metric, tc.file)
			}
			for _, p := range ps {
				if p.Metric != tc.metric {
					t.Errorf("unexpected problem %v", p)
				}
			}
		})
	}
}

func clone(c *Catalog) *Catalog {
	n := New()
	for _, e := range c.Entries() {
		n.Add(e)
	}
	return n
}

func TestMetricNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		expr string
		want string
		err  bool
	}{
		{`up`, "up", false},
		{`sum by (site) (rate(node_cpu_seconds_total{mode="idle",site=~"$site"}[$__rate_interval]))`, "node_cpu_seconds_total", false},
		{`avg_over_time(roomwatch_probe_up[$period]) / on(device) group_left roomwatch_device_info`, "roomwatch_device_info roomwatch_probe_up", false},
		{`{__name__="roomwatch_ping_loss_ratio"}`, "roomwatch_ping_loss_ratio", false},
		{`{__name__=~"roomwatch_ups_.*"}`, `__name__=~"roomwatch_ups_.*"`, false},
		{`{__name__=~"roomwatch_fan_ok|roomwatch_psu_ok"}`, "roomwatch_fan_ok roomwatch_psu_ok", false},
		{`time() - 5`, "", false},
		{`rate(foo[5m]`, "", true},
	} {
		got, err := MetricNames(tc.expr)
		if (err != nil) != tc.err {
			t.Errorf("%s: err %v", tc.expr, err)
			continue
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: %v, want %s", tc.expr, got, tc.want)
		}
	}
}

// TestUnknownRegexpNameFails: a __name__ regexp is never taken as known.
func TestUnknownRegexpNameFails(t *testing.T) {
	t.Parallel()
	c := New()
	ps := c.Check([]Query{{Where: "x", Expr: `{__name__=~"roomwatch_.*"}`}})
	if len(ps) != 1 {
		t.Fatalf("got %v", ps)
	}
}

// TestMarkdown compares docs/metrics.md with the catalogue
// (go test ./internal/devtools/catalog -run Markdown -update rewrites it).
func TestMarkdown(t *testing.T) {
	t.Parallel()
	c := catalogue(t)
	var b strings.Builder
	if err := c.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "docs", "metrics.md")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(want) != b.String() {
		t.Errorf("%s is out of date with the catalogue: run go test ./internal/devtools/catalog -run Markdown -update", path)
	}
}
