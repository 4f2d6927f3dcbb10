package catalog

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	amlabels "github.com/prometheus/alertmanager/pkg/labels"

	"github.com/roomwatch/roomwatch/internal/alertrules"
	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe/scheduler"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// The alerting catalogue: rules/alerts against the device classes, the check
// kinds, the state metrics, rules/fault-levels.yml, the ticket defaults and
// docs/rules.md. A renamed rule or metric breaks one of these, not the night
// shift.

func shippedRules(t *testing.T) []alertrules.Rule {
	t.Helper()
	files, err := RuleFiles(filepath.Join(root, "rules", "alerts"))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := alertrules.LoadFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) < 60 {
		t.Fatalf("only %d alerting rules", len(rs))
	}
	return rs
}

func emitted(rs []alertrules.Rule) map[string]bool {
	m := map[string]bool{}
	for _, r := range rs {
		m[r.Name] = true
	}
	return m
}

func TestEveryRuleHasAFamily(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, r := range shippedRules(t) {
		if !alertrules.ValidFamily(r.Family()) {
			t.Errorf("%s (%s): family %q is not one of %v", r.Name, r.File, r.Family(), alertrules.Families())
		}
		if seen[r.Name] {
			t.Errorf("%s: two rules emit the same alertname", r.Name)
		}
		seen[r.Name] = true
	}
}

// TestEveryClassAndCheckHasReachabilityRule: for every device class and every
// check kind a device of it can run, some reachability rule fires on
// roomwatch_probe_up{class, probe} == 0.
func TestEveryClassAndCheckHasReachabilityRule(t *testing.T) {
	t.Parallel()
	var reach []alertrules.Rule
	for _, r := range shippedRules(t) {
		if r.Family() == alertrules.FamilyReachability {
			reach = append(reach, r)
		}
	}
	for _, class := range inventory.Classes() {
		for _, kind := range scheduler.ProbeNames() {
			var by []string
			for _, r := range reach {
				ok, err := r.Selects("roomwatch_probe_up", map[string]string{"class": string(class), "probe": kind})
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					by = append(by, r.Name)
				}
			}
			if len(by) == 0 {
				t.Errorf("class %s, check %s: no reachability rule watches roomwatch_probe_up", class, kind)
			}
			if len(by) > 1 {
				t.Errorf("class %s, check %s: several rules fire for one failure: %v", class, kind, by)
			}
		}
	}
}

// TestReachabilityRuleFailsWhenRemoved proves the check above can fail.
func TestReachabilityRuleFailsWhenRemoved(t *testing.T) {
	t.Parallel()
	for _, r := range shippedRules(t) {
		if r.Name != "RadioBaseStationDown" {
			continue
		}
		ok, err := r.Selects("roomwatch_probe_up", map[string]string{"class": "radio", "probe": "icmp"})
		if err != nil || !ok {
			t.Fatalf("RadioBaseStationDown does not select radio/icmp: %v", err)
		}
		ok, _ = r.Selects("roomwatch_probe_up", map[string]string{"class": "radio", "probe": "snmp"})
		if ok {
			t.Fatal("RadioBaseStationDown selects radio/snmp")
		}
		return
	}
	t.Fatal("no RadioBaseStationDown rule")
}

func TestSubjectsSkipFilters(t *testing.T) {
	t.Parallel()
	r := alertrules.Rule{Name: "x", Expr: `roomwatch_probe_up{probe="snmp"} == 0 unless on(device) roomwatch_probe_up{probe="icmp"} == 0`}
	for probe, want := range map[string]bool{"snmp": true, "icmp": false} {
		got, err := r.Selects("roomwatch_probe_up", map[string]string{"probe": probe, "class": "ups"})
		if err != nil || got != want {
			t.Errorf("probe %s: %v %v, want %v", probe, got, err, want)
		}
	}
}

var (
	noRuleRow   = regexp.MustCompile("^\\| `([a-zA-Z_:][a-zA-Z0-9_:]*)` \\| (.+) \\|$")
	ruleRow     = regexp.MustCompile(`^\| [a-z]+ / ([A-Z][A-Za-z0-9]+) \| (.+) \|$`)
	rulesDocRel = filepath.Join("docs", "rules.md")
)

// The docs/rules.md headings of the rule table and of the metrics no rule reads.
const (
	ruleSection   = "## Rules and thresholds, with the reason"
	noRuleSection = "## State metrics without a rule, and why"
)

// docRows returns docs/rules.md's rule rows (alert -> cells) and its
// "metrics without a rule" rows (metric -> reason).
func docRows(t *testing.T) (map[string][]string, map[string]string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rulesDocRel))
	if err != nil {
		t.Fatal(err)
	}
	rules, reasons := map[string][]string{}, map[string]string{}
	section := ""
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "## ") {
			section = line
		}
		if m := ruleRow.FindStringSubmatch(line); m != nil && section == ruleSection {
			rules[m[1]] = strings.Split(m[2], " | ")
		} else if m := noRuleRow.FindStringSubmatch(line); m != nil && section == noRuleSection {
			reasons[m[1]] = strings.TrimSpace(m[2])
		}
	}
	return rules, reasons
}

// TestStateMetricsHaveRules: every state or alarm metric the catalogue holds
// is read by an alerting rule, or docs/rules.md says why not.
func TestStateMetricsHaveRules(t *testing.T) {
	t.Parallel()
	c := catalogue(t)
	read := map[string]bool{}
	for _, r := range shippedRules(t) {
		names, err := MetricNames(r.Expr)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			read[n] = true
		}
	}
	_, reasons := docRows(t)
	state := c.StateMetrics()
	if len(state) < 40 {
		t.Fatalf("only %d state metrics: %v", len(state), state)
	}
	for _, m := range state {
		if !read[m] && len(reasons[m]) < 10 {
			t.Errorf("%s: a state/alarm metric no rule reads and docs/rules.md gives no reason for", m)
		}
		if read[m] && reasons[m] != "" {
			t.Errorf("%s: docs/rules.md says no rule reads it, but one does", m)
		}
	}
	for m := range reasons {
		if !c.Has(m) {
			t.Errorf("docs/rules.md gives a reason for %s, which is not in the catalogue", m)
		}
	}
}

// TestFaultLevelsNameEmittedAlerts: every alertname rules/fault-levels.yml
// matches on is emitted by a rule.
func TestFaultLevelsNameEmittedAlerts(t *testing.T) {
	t.Parallel()
	fl, err := classify.Load(filepath.Join(root, "rules", "fault-levels.yml"))
	if err != nil {
		t.Fatal(err)
	}
	have := emitted(shippedRules(t))
	n := 0
	for _, r := range fl.Rules {
		for _, m := range r.Match {
			if m.Name != "alertname" {
				continue
			}
			names, ok := literalNames(m)
			if !ok {
				t.Errorf("fault-levels %s: %s: match alertnames by = or =~\"A|B\" of literal names, so that the test can hold them to the rules", r.Name, m)
				continue
			}
			for _, name := range names {
				n++
				if !have[name] {
					t.Errorf("fault-levels %s: no rule emits alertname %s", r.Name, name)
				}
			}
		}
	}
	if n < 5 {
		t.Errorf("only %d alertnames named in fault-levels.yml", n)
	}
}

var literalName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func literalNames(m *amlabels.Matcher) ([]string, bool) {
	var parts []string
	switch m.Type {
	case amlabels.MatchEqual:
		parts = []string{m.Value}
	case amlabels.MatchRegexp:
		parts = strings.Split(m.Value, "|")
	default:
		return nil, false
	}
	for _, p := range parts {
		if !literalName.MatchString(p) {
			return nil, false
		}
	}
	return parts, true
}

// ruleClasses returns the device classes a rule's alerts can carry: its own
// class label, else every class its subject selectors admit.
func ruleClasses(t *testing.T, r alertrules.Rule) []string {
	t.Helper()
	if c := r.Class(); c != "" {
		return []string{c}
	}
	metrics, err := r.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, class := range inventory.Classes() {
		for _, m := range metrics {
			ok, err := r.Selects(m, map[string]string{"class": string(class)})
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				out = append(out, string(class))
				break
			}
		}
	}
	return out
}

// TestEveryAlertIsClassified: every rule's alert, for every class it can
// carry, gets its level and handling group from rules/fault-levels.yml by a
// named rule (not the duty default); where the alert carries a fault_level,
// that is the level, and a fault-levels rule naming the alertname agrees
// with it (else that rule is dead for the alert).
func TestEveryAlertIsClassified(t *testing.T) {
	t.Parallel()
	fl, err := classify.Load(filepath.Join(root, "rules", "fault-levels.yml"))
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]classify.Level{} // fault-levels rule name -> level, for rules naming alertnames
	byName := map[string]map[string]bool{}
	for _, r := range fl.Rules {
		for _, m := range r.Match {
			if names, ok := literalNames(m); ok && m.Name == "alertname" {
				named[r.Name] = r.Level
				byName[r.Name] = map[string]bool{}
				for _, n := range names {
					byName[r.Name][n] = true
				}
			}
		}
	}
	for _, r := range shippedRules(t) {
		classes := ruleClasses(t, r)
		if len(classes) == 0 {
			t.Errorf("%s: its alerts carry no device class", r.Name)
		}
		for _, class := range classes {
			ls := map[string]string{"alertname": r.Name}
			for k, v := range r.Labels {
				ls[k] = v
			}
			ls["class"] = class
			got := fl.Classify(ls)
			if got.Rule == "default" {
				t.Errorf("%s (class %s): no fault-levels rule classifies it (default %s/%s)", r.Name, class, got.Level, got.Group)
				continue
			}
			if lvl := r.Level(); lvl != "" {
				if got.Level.String() != lvl {
					t.Errorf("%s (class %s): level %s, want the label's %s", r.Name, class, got.Level, lvl)
				}
				delete(ls, alertrules.LabelLevel)
				ruleOnly := fl.Classify(ls)
				if _, ok := named[ruleOnly.Rule]; ok && byName[ruleOnly.Rule][r.Name] && ruleOnly.Level.String() != lvl {
					t.Errorf("%s: fault-levels rule %s names it with level %s, but the alert carries %s", r.Name, ruleOnly.Rule, ruleOnly.Level, lvl)
				}
			} else if got.LevelFrom != "rule" {
				t.Errorf("%s (class %s): level from %s", r.Name, class, got.LevelFrom)
			}
		}
	}
}

// TestTicketReachabilityDefaultIsTheRules: the ticket pipeline's default
// reachability alertnames are exactly the reachability-family rules.
func TestTicketReachabilityDefaultIsTheRules(t *testing.T) {
	t.Parallel()
	want := alertrules.ReachabilityAlerts(shippedRules(t))
	got := slices.Clone(tickets.DefaultConfig().ReachabilityAlerts)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("tickets default reachability_alerts\n %v\nrules of family reachability\n %v", got, want)
	}
}

// TestDocsListEveryRule: docs/rules.md has a row for every rule with its
// level (or "by class" when fault-levels.yml sets it), and no row for a rule
// that does not exist.
func TestDocsListEveryRule(t *testing.T) {
	t.Parallel()
	rows, _ := docRows(t)
	rs := shippedRules(t)
	for _, r := range rs {
		cells, ok := rows[r.Name]
		if !ok {
			t.Errorf("%s: no row in %s", r.Name, rulesDocRel)
			continue
		}
		if len(cells) != 5 {
			t.Errorf("%s: row has %d cells after the name, want 5 (condition, for, level, family, why)", r.Name, len(cells))
			continue
		}
		level := r.Level()
		if level == "" {
			level = "by class"
		}
		if cells[2] != level {
			t.Errorf("%s: docs say level %q, the rule %q", r.Name, cells[2], level)
		}
		if cells[3] != r.Family() {
			t.Errorf("%s: docs say family %q, the rule %q", r.Name, cells[3], r.Family())
		}
		forCell := "—"
		if r.For > 0 {
			forCell = r.For.String()
		}
		if cells[1] != forCell {
			t.Errorf("%s: docs say for %q, the rule %q", r.Name, cells[1], forCell)
		}
	}
	have := emitted(rs)
	for name := range rows {
		if !have[name] {
			t.Errorf("%s lists %s, which no rule emits", rulesDocRel, name)
		}
	}
}
