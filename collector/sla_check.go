package collector

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/sla"
)

// SLAProfileLines says, for --check-config, which SLA profile tickets get:
// the default and each sla.select rule, how many inventory devices each
// profile gets, and the profile of each sample. A sample is
// "device=NAME,site=S,class=C,category=CAT,level=L,KEY=VALUE…" (every part
// optional; a device in the inventory brings its site, class and labels; the
// category is classified from the labels when not given).
func SLAProfileLines(c *Config, samples []string) ([]string, error) {
	loaded, err := c.SLA.Load()
	if err != nil {
		return nil, fmt.Errorf("sla: %w", err)
	}
	rules, err := classify.Load(c.Tickets.Rules)
	if err != nil {
		return nil, fmt.Errorf("tickets: fault levels: %w", err)
	}
	lines := []string{fmt.Sprintf("SLA 默认合同 / default profile: %s（%s）", loaded.Active.Name, loaded.Active.Title)}
	for i, r := range c.SLA.Select {
		lines = append(lines, fmt.Sprintf("SLA select[%d]: %s → %s", i, r.Match, r.Profile))
	}
	facts := func(labels map[string]string) sla.Facts {
		f := sla.Facts{Device: labels["device"], Site: labels["site"], Class: labels["class"], Labels: labels}
		res := rules.Classify(labels)
		f.Category, f.Level = res.Category, res.Level
		if v := labels["level"]; v != "" {
			if l, err := classify.ParseLevel(v); err == nil {
				f.Level = l
			}
		}
		if v := labels["category"]; v != "" {
			if cat, err := classify.ParseCategory(v); err == nil {
				f.Category = cat
			}
		}
		return f
	}
	deviceLabels := func(name string) (map[string]string, bool) {
		for i := range c.Inventory.Devices {
			d := &c.Inventory.Devices[i]
			if d.Name == name {
				l := maps.Clone(d.Labels)
				if l == nil {
					l = map[string]string{}
				}
				l["device"], l["site"], l["class"] = d.Name, d.Site, string(d.Class)
				return l, true
			}
		}
		return nil, false
	}
	counts := map[string]int{}
	for i := range c.Inventory.Devices {
		l, _ := deviceLabels(c.Inventory.Devices[i].Name)
		p, _ := loaded.Selection.Select(facts(l))
		counts[p.Name]++
	}
	for _, name := range slices.Sorted(maps.Keys(counts)) {
		lines = append(lines, fmt.Sprintf("SLA %s: %d inventory devices / 台设备", name, counts[name]))
	}
	for _, s := range samples {
		labels := map[string]string{}
		for _, kv := range strings.Split(s, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("--sla-sample %q: want KEY=VALUE pairs separated by commas", s)
			}
			labels[k] = v
		}
		if dl, ok := deviceLabels(labels["device"]); ok {
			for k, v := range dl {
				if labels[k] == "" {
					labels[k] = v
				}
			}
		}
		f := facts(labels)
		p, why := loaded.Selection.Select(f)
		var kinds []string
		for _, t := range p.Timers(f.Level, f.Category) {
			kinds = append(kinds, fmt.Sprintf("%s %v", t.Kind, t.Target))
		}
		lines = append(lines, fmt.Sprintf("SLA sample %s (category %s, level %s) → %s [%s]: %s", s, f.Category, f.Level, p.Name, why,
			strings.Join(kinds, ", ")))
	}
	return lines, nil
}
