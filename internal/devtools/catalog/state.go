package catalog

import (
	"regexp"
	"sort"
)

// stateSuffix is a name ending that says a series holds a state, a flag or an
// alarm rather than a measurement.
var stateSuffix = regexp.MustCompile(`_(up|ok|status|state|alarm|alarms|readonly|error|result|open|leak|present|online|enabled|reachable|success|on_battery|replace_battery)$`)

// StateMetrics returns the names of the catalogue's state and alarm metrics,
// sorted: every unitless gauge the probes and the SNMP profiles produce (their
// enumerations, 0/1 flags and alarm counts), and any metric whose name ends in
// a state word (_up, _ok, _status, _alarm, _readonly…). Each must be read by an
// alerting rule or have a declared reason not to be (docs/rules.md); the
// catalogue tests check it.
func (c *Catalog) StateMetrics() []string {
	var out []string
	for _, e := range c.Entries() {
		if e.Type == "info" || e.Type == "counter" || e.Type == "histogram" || e.Type == "summary" {
			continue
		}
		fromDevice := (e.Source == SourceProbe || e.Source == SourceSNMP) && e.Unit == ""
		if fromDevice || stateSuffix.MatchString(e.Name) {
			out = append(out, e.Name)
		}
	}
	sort.Strings(out)
	return out
}
