package catalog

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/roomwatch/roomwatch/internal/inspect"
)

// Query is one PromQL expression found in a rule, template or dashboard.
type Query struct {
	// Where names the file and the rule, item or panel.
	Where string
	Expr  string
}

// Problem is a query naming a metric the catalogue does not hold, or one
// that does not parse.
type Problem struct {
	Where, Expr, Metric string
	Err                 error
}

func (p Problem) String() string {
	if p.Err != nil {
		return fmt.Sprintf("%s: %v", p.Where, p.Err)
	}
	return fmt.Sprintf("%s: %s is not in the catalogue (in %s)", p.Where, p.Metric, p.Expr)
}

// Allowed reports whether a selector's metric name is known: in the
// catalogue, or a series the Prometheus machinery itself writes (up,
// scrape_*, ALERTS).
func (c *Catalog) Allowed(name string) bool {
	return c.Has(name) || name == "up" || name == "ALERTS" || name == "ALERTS_FOR_STATE" || strings.HasPrefix(name, "scrape_")
}

// grafanaVars are Grafana's built-in interval variables, which PromQL cannot
// parse in a range; they are replaced by a duration before parsing.
var grafanaVars = regexp.MustCompile(`\$\{?__(rate_interval|interval|range)(_ms|_s)?\}?`)

// Normalise turns a templated query into plain PromQL: $period (inspection
// templates) and Grafana's interval variables become durations. Dashboard
// variables such as $site are inside label matcher strings and parse as is.
func Normalise(expr string) string {
	expr = strings.ReplaceAll(expr, "$period", "1d")
	return grafanaVars.ReplaceAllString(expr, "5m")
}

// MetricNames returns the metric names every vector and matrix selector of
// expr selects, sorted and unique; a selector by a __name__ regexp is
// returned as its matcher's text.
func MetricNames(expr string) ([]string, error) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(Normalise(expr))
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		if vs.Name != "" {
			seen[vs.Name] = true
			return nil
		}
		for _, m := range vs.LabelMatchers {
			if m.Name == model.MetricNameLabel {
				if m.Type == labels.MatchEqual {
					seen[m.Value] = true
				} else if alts := alternation(m); alts != nil {
					for _, a := range alts {
						seen[a] = true
					}
				} else {
					seen[m.String()] = true
				}
			}
		}
		return nil
	})
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// literalNameRE is a metric name without regexp metacharacters.
var literalNameRE = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)

// alternation returns the names of a __name__=~"a|b|c" matcher whose
// alternatives are all literal names, nil otherwise.
func alternation(m *labels.Matcher) []string {
	if m.Type != labels.MatchRegexp {
		return nil
	}
	parts := strings.Split(m.Value, "|")
	for _, p := range parts {
		if !literalNameRE.MatchString(p) {
			return nil
		}
	}
	return parts
}

// Check parses every query and reports those that do not parse or name a
// metric outside the catalogue.
func (c *Catalog) Check(qs []Query) []Problem {
	var out []Problem
	for _, q := range qs {
		names, err := MetricNames(q.Expr)
		if err != nil {
			out = append(out, Problem{Where: q.Where, Expr: q.Expr, Err: err})
			continue
		}
		for _, n := range names {
			if !c.Allowed(n) {
				out = append(out, Problem{Where: q.Where, Expr: q.Expr, Metric: n})
			}
		}
	}
	return out
}

// RuleQueries returns the expression of every rule in the rule files of dir.
func RuleQueries(dir string) ([]Query, error) {
	files, err := RuleFiles(dir)
	if err != nil {
		return nil, err
	}
	var out []Query
	for _, f := range files {
		rgs, err := parseRules(f)
		if err != nil {
			return nil, err
		}
		for _, g := range rgs.Groups {
			for _, r := range g.Rules {
				name := r.Alert
				if name == "" {
					name = r.Record
				}
				out = append(out, Query{Where: filepath.Base(f) + ": " + g.Name + "/" + name, Expr: r.Expr})
			}
		}
	}
	return out, nil
}

// InspectionQueries returns the PromQL of every metric item of the
// inspection templates in dir.
func InspectionQueries(dir string) ([]Query, error) {
	ts, err := inspect.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	var out []Query
	for _, t := range ts {
		for _, it := range t.Items {
			if it.Metric != nil {
				out = append(out, Query{Where: "inspections " + t.Name + "/" + it.ID, Expr: it.Metric.Query})
			}
		}
	}
	return out, nil
}

// Dashboard is the part of a Grafana dashboard JSON the checks read.
type Dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Refresh       string  `json:"refresh"`
	Style         string  `json:"style"`
	Panels        []Panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

// Panel is a Grafana panel (rows hold their collapsed panels in Panels).
type Panel struct {
	ID      int    `json:"id"`
	Title   string `json:"title"`
	Type    string `json:"type"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []Panel `json:"panels"`
}

// LoadDashboard reads a Grafana dashboard JSON file.
func LoadDashboard(path string) (*Dashboard, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	var d Dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("catalog: %s: %w", path, err)
	}
	return &d, nil
}

// labelValuesRE reads the metric of a Grafana label_values(metric, label)
// variable query.
var labelValuesRE = regexp.MustCompile(`^\s*label_values\(\s*(.+?)\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$`)

// DashboardQueries returns every panel target and query variable of the
// dashboards (*.json) in dir.
func DashboardQueries(dir string) ([]Query, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	sort.Strings(files)
	var out []Query
	for _, f := range files {
		d, err := LoadDashboard(f)
		if err != nil {
			return nil, err
		}
		base := filepath.Base(f)
		var walk func(ps []Panel)
		walk = func(ps []Panel) {
			for _, p := range ps {
				for _, t := range p.Targets {
					if t.Expr != "" {
						out = append(out, Query{Where: fmt.Sprintf("%s: panel %d %q/%s", base, p.ID, p.Title, t.RefID), Expr: t.Expr})
					}
				}
				walk(p.Panels)
			}
		}
		walk(d.Panels)
		for _, v := range d.Templating.List {
			if v.Type != "query" {
				continue
			}
			q, _ := v.Query.(string)
			if m, ok := v.Query.(map[string]any); ok {
				q, _ = m["query"].(string)
			}
			if m := labelValuesRE.FindStringSubmatch(q); m != nil {
				out = append(out, Query{Where: base + ": variable " + v.Name, Expr: m[1]})
			}
		}
	}
	return out, nil
}
