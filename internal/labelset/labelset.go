// Package labelset holds the one rule roomwatch uses wherever target labels
// meet exposed labels: the scraper, the agent's remote-write, and the probe
// series. It has no dependencies, so the agent can link it.
package labelset

import "slices"

// Label is one label pair.
type Label struct{ Name, Value string }

// ExportedPrefix is what an exposed label that clashes with a target label is
// renamed with.
const ExportedPrefix = "exported_"

// SetTarget sets each target label over exposed as a Prometheus scrape does
// with honor_labels: false. A target label with an empty value sets nothing
// (an empty label is an absent label). An exposed label of the same name is
// kept as exported_<name>, or exported_exported_<name> (and so on) while that
// name is taken by an exposed or a target label: node_network_up{device="eth0"}
// with target device="srv-01" becomes {device="srv-01", exported_device="eth0"},
// so two interfaces never collapse into one series. An exposed label with an
// empty value is dropped when a target label of that name is set.
//
// exposed is modified in place and the result may share its array; the result
// is not sorted.
func SetTarget(exposed, target []Label) []Label {
	taken := func(name string) bool {
		return slices.ContainsFunc(exposed, func(l Label) bool { return l.Name == name }) ||
			slices.ContainsFunc(target, func(l Label) bool { return l.Name == name })
	}
	for _, t := range target {
		if t.Value == "" {
			continue
		}
		i := slices.IndexFunc(exposed, func(l Label) bool { return l.Name == t.Name })
		if i < 0 {
			exposed = append(exposed, t)
			continue
		}
		if v := exposed[i].Value; v != "" {
			name := ExportedPrefix + t.Name
			for taken(name) {
				name = ExportedPrefix + name
			}
			exposed = append(exposed, Label{Name: name, Value: v})
		}
		exposed[i].Value = t.Value
	}
	return exposed
}
