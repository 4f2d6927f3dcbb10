package catalog

import (
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/roomwatch/roomwatch/agent"
	"github.com/roomwatch/roomwatch/internal/probe"
	"github.com/roomwatch/roomwatch/internal/snmp"
)

// Options say where Build finds the code and data.
type Options struct {
	// Root is the repository's top directory.
	Root string
	// AgentFixture is the /proc and /sys tree the agent's sources are
	// gathered against; default <Root>/agent/testdata/root.
	AgentFixture string
}

// Build assembles the catalogue from the agent's sources, the Go source of
// agent/, collector/ and internal/, the SNMP profiles and the alerting rules.
func Build(opts Options) (*Catalog, error) {
	if opts.AgentFixture == "" {
		opts.AgentFixture = filepath.Join(opts.Root, "agent", "testdata", "root")
	}
	c := New()
	if err := addAgent(c, opts.AgentFixture); err != nil {
		return nil, err
	}
	if err := addGoSource(c, opts.Root); err != nil {
		return nil, err
	}
	if err := addProfiles(c, filepath.Join(opts.Root, "rules", "profiles")); err != nil {
		return nil, err
	}
	if err := addRules(c, filepath.Join(opts.Root, "rules", "alerts")); err != nil {
		return nil, err
	}
	return c, nil
}

// addAgent gathers the agent's registry once against the fixture tree.
func addAgent(c *Catalog, fixture string) error {
	mfs, err := agent.CatalogFamilies(fixture)
	if err != nil {
		return fmt.Errorf("catalog: agent: %w", err)
	}
	for _, mf := range mfs {
		name := mf.GetName()
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
			continue // client_golang's runtime collectors, not roomwatch's contract
		}
		labels := map[string]bool{}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = true
			}
		}
		var ls []string
		for l := range labels {
			ls = append(ls, l)
		}
		typ := strings.ToLower(mf.GetType().String())
		if mf.GetType() == dto.MetricType_GAUGE && strings.HasSuffix(name, "_info") {
			typ = "info"
		}
		c.Add(Entry{Name: name, Type: typ, Help: mf.GetHelp(), Labels: ls, Source: SourceAgent, Origins: []string{"agent (fixture gather)"}})
	}
	return nil
}

// skipDir says which directories hold no exposed metrics: test helpers,
// simulators, fixtures and this package.
func skipDir(rel string) bool {
	base := filepath.Base(rel)
	return base == "testdata" || base == "testutil" || base == "devsim" || base == "catalog" ||
		strings.HasSuffix(base, "test") || strings.HasPrefix(base, ".")
}

// sourceOf maps a package directory to its source group.
func sourceOf(rel string) string {
	rel = filepath.ToSlash(rel)
	switch {
	case rel == "agent" || strings.HasPrefix(rel, "agent/"), rel == "internal/pushbuf":
		return SourceAgent
	case strings.HasPrefix(rel, "internal/probe"), rel == "internal/snmp":
		return SourceProbe
	case rel == "internal/registry":
		return SourceRegistry
	}
	return SourceCollector
}

func addGoSource(c *Catalog, root string) error {
	identity := probe.IdentityLabels()
	var dirs []string
	for _, top := range []string{"agent", "collector", "internal"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				return nil
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			if skipDir(rel) {
				return filepath.SkipDir
			}
			dirs = append(dirs, rel)
			return nil
		})
		if err != nil {
			return fmt.Errorf("catalog: %w", err)
		}
	}
	sort.Strings(dirs)
	for _, rel := range dirs {
		fs, err := scanGoDir(filepath.Join(root, rel), rel)
		if err != nil {
			return err
		}
		src := sourceOf(rel)
		// Emission sites first, so that a bare constant only fills gaps.
		sort.SliceStable(fs, func(i, j int) bool { return !fs[i].Const && fs[j].Const })
		for _, f := range fs {
			labels := f.Labels
			if f.Sample {
				labels = append(append([]string(nil), identity...), labels...)
			}
			c.Add(Entry{Name: f.Name, Type: f.Type, Help: f.Help, Labels: labels, Source: src, Origins: []string{f.Pos}})
		}
	}
	return nil
}

func addProfiles(c *Catalog, dir string) error {
	set, err := snmp.LoadProfiles(dir)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	identity := probe.IdentityLabels()
	for _, name := range set.Names() {
		p, _ := set.Get(name)
		origin := "rules/profiles: " + name
		add := func(m snmp.Metric, extra []string) {
			ls := append(append([]string(nil), identity...), extra...)
			for k := range m.Labels {
				ls = append(ls, k)
			}
			typ := m.Type
			if typ == "" {
				typ = "gauge"
			}
			c.Add(Entry{Name: m.Name, Type: typ, Help: m.Help, Labels: ls, Source: SourceSNMP, Origins: []string{origin}})
		}
		for _, m := range p.Scalars {
			add(m, nil)
		}
		for _, t := range p.Tables {
			var extra []string
			if t.IndexLabel != "" {
				extra = append(extra, t.IndexLabel)
			}
			for _, l := range t.Labels {
				extra = append(extra, l.Name)
			}
			for _, m := range t.Metrics {
				add(m, extra)
			}
		}
		for _, in := range p.Info {
			ls := append([]string(nil), identity...)
			for _, l := range in.Labels {
				ls = append(ls, l.Name)
			}
			c.Add(Entry{Name: in.Name, Type: "info", Help: in.Help, Labels: ls, Source: SourceSNMP, Origins: []string{origin}})
		}
	}
	return nil
}

// RuleFiles returns the alerting rule files of dir, sorted.
func RuleFiles(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yml"))
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	sort.Strings(files)
	return files, nil
}

// parseRules parses one Prometheus rule file.
func parseRules(path string) (*rulefmt.RuleGroups, error) {
	rgs, errs := rulefmt.ParseFile(path, false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
	if len(errs) > 0 {
		return nil, fmt.Errorf("catalog: %w", errs[0])
	}
	return rgs, nil
}

// addRules adds the recording rules' outputs and ALERTS (with the labels the
// alerting rules set: fault_level, severity, class…).
func addRules(c *Catalog, dir string) error {
	files, err := RuleFiles(dir)
	if err != nil {
		return err
	}
	alertLabels := []string{"alertname", "alertstate"}
	var origins []string
	for _, f := range files {
		rgs, err := parseRules(f)
		if err != nil {
			return err
		}
		rel := "rules/alerts/" + filepath.Base(f)
		for _, g := range rgs.Groups {
			for _, r := range g.Rules {
				if r.Record != "" {
					var ls []string
					for k := range r.Labels {
						ls = append(ls, k)
					}
					c.Add(Entry{Name: r.Record, Type: "gauge", Help: "Recording rule: " + r.Expr, Labels: ls, Source: SourceRules, Origins: []string{rel}})
					continue
				}
				origins = append(origins, rel)
				for k := range r.Labels {
					alertLabels = append(alertLabels, k)
				}
			}
		}
	}
	if len(origins) > 0 {
		c.Add(Entry{Name: "ALERTS", Type: "gauge",
			Help:   "Active alerts of the alerting rules (pending or firing), with the labels the rules set (fault_level I–IV, class…). 告警规则产生的活动告警。",
			Labels: alertLabels, Source: SourceRules, Origins: origins})
		c.Add(Entry{Name: "ALERTS_FOR_STATE", Type: "gauge",
			Help:   "When each pending or firing alert became active, Unix seconds.",
			Labels: alertLabels, Source: SourceRules, Origins: origins})
	}
	return nil
}
