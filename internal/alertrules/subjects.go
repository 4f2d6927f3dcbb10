package alertrules

import (
	"fmt"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
)

// Subjects returns the vector selectors an expression's result series come
// from: every selector except those only on the right of `and` or `unless`,
// which filter the result rather than produce it. In
// `roomwatch_probe_up{probe="snmp"} == 0 unless on(device) roomwatch_probe_up{probe="icmp"} == 0`
// the subject is the SNMP selector only.
func Subjects(expr string) ([]*parser.VectorSelector, error) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return nil, fmt.Errorf("alertrules: %w", err)
	}
	var out []*parser.VectorSelector
	var walk func(n parser.Node)
	walk = func(n parser.Node) {
		switch v := n.(type) {
		case *parser.VectorSelector:
			out = append(out, v)
			return
		case *parser.BinaryExpr:
			if v.Op == parser.LAND || v.Op == parser.LUNLESS {
				walk(v.LHS)
				return
			}
		}
		for _, c := range parser.Children(n) {
			walk(c)
		}
	}
	walk(e)
	return out, nil
}

// Selects reports whether one of the rule's subject selectors names metric
// and matches the label values in ls; matchers on labels that ls does not
// mention are not consulted. Selects("roomwatch_probe_up",
// {"class": "ups", "probe": "snmp"}) asks "does this rule alert on the SNMP
// check of a UPS?".
func (r Rule) Selects(metric string, ls map[string]string) (bool, error) {
	vss, err := Subjects(r.Expr)
	if err != nil {
		return false, fmt.Errorf("%s: %w", r.Name, err)
	}
	for _, vs := range vss {
		if selects(vs, metric, ls) {
			return true, nil
		}
	}
	return false, nil
}

func selects(vs *parser.VectorSelector, metric string, ls map[string]string) bool {
	named := false
	for _, m := range vs.LabelMatchers {
		if m.Name == model.MetricNameLabel {
			if !m.Matches(metric) {
				return false
			}
			named = true
			continue
		}
		if v, ok := ls[m.Name]; ok && !m.Matches(v) {
			return false
		}
	}
	return named
}

// Metrics returns the metric names the rule's subject selectors name.
func (r Rule) Metrics() ([]string, error) {
	vss, err := Subjects(r.Expr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Name, err)
	}
	seen := map[string]bool{}
	var out []string
	for _, vs := range vss {
		if vs.Name != "" && !seen[vs.Name] {
			seen[vs.Name] = true
			out = append(out, vs.Name)
		}
	}
	return out, nil
}
