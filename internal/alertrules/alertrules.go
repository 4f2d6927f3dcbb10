// Package alertrules reads roomwatch's alerting rule files (rules/alerts) as
// data: each alerting rule's name, its family, level and class labels, and
// which check kinds and device classes its expression watches. The ticket
// pipeline derives its reachability alert names from it (family
// "reachability") instead of a hand-kept list, and the catalogue tests hold
// the rules to the device classes, check kinds and fault levels with it.
package alertrules

import (
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"sort"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// Label names the rules set.
const (
	LabelFamily   = "family"
	LabelLevel    = "fault_level"
	LabelCategory = "fault_category"
	LabelSeverity = "severity"
	LabelClass    = "class"
)

// Families: what an alert is about, so that one device's alerts can be
// grouped into one incident. The vocabulary is fixed; docs/rules.md explains
// each.
const (
	FamilyReachability = "reachability" // the device or one of its checks does not answer
	FamilyPower        = "power"        // UPS, mains, batteries
	FamilyCooling      = "cooling"      // precision air conditioners
	FamilyEnvironment  = "environment"  // room temperature, humidity, sensors of the room
	FamilyFire         = "fire"         // smoke and fire detectors
	FamilyWater        = "water"        // leak sensors
	FamilySecurity     = "security"     // doors, access control
	FamilyHost         = "host"         // server resources: CPU, memory, filesystems, processes
	FamilyHardware     = "hardware"     // fans, power supplies, board temperature of any device
	FamilyNetwork      = "network"      // ports, link errors, loss, network device load
	FamilyVideo        = "video"        // recording, disks of recorders, channels, captures
	FamilyClock        = "clock"        // device clocks
	FamilyPrinter      = "printer"      // printers and their consumables
)

// Families returns the vocabulary, in documentation order.
func Families() []string {
	return []string{FamilyReachability, FamilyPower, FamilyCooling, FamilyEnvironment, FamilyFire, FamilyWater,
		FamilySecurity, FamilyHost, FamilyHardware, FamilyNetwork, FamilyVideo, FamilyClock, FamilyPrinter}
}

// ValidFamily reports whether f is in the vocabulary.
func ValidFamily(f string) bool {
	for _, x := range Families() {
		if x == f {
			return true
		}
	}
	return false
}

// Rule is one alerting rule.
type Rule struct {
	Name string
	// File is the base name of the rule file, Group the rule group.
	File, Group string
	Expr        string
	For         model.Duration
	Labels      map[string]string
	Annotations map[string]string
}

// Family, Level and Class read the rule's labels ("" when unset).
func (r Rule) Family() string { return r.Labels[LabelFamily] }

// Level is the fault_level label.
func (r Rule) Level() string { return r.Labels[LabelLevel] }

// Class is the class label the rule sets, "" when the series carry it.
func (r Rule) Class() string { return r.Labels[LabelClass] }

// LoadFiles reads the alerting rules of the files (recording rules are
// skipped), in file order.
func LoadFiles(files []string) ([]Rule, error) {
	return load(files, os.ReadFile)
}

// LoadFS reads the alerting rules of the files of fsys matching pattern
// (path.Match syntax, e.g. "alerts/*.yml" over rules.FS()).
func LoadFS(fsys fs.FS, pattern string) ([]Rule, error) {
	files, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, fmt.Errorf("alertrules: %w", err)
	}
	sort.Strings(files)
	return load(files, func(name string) ([]byte, error) { return fs.ReadFile(fsys, name) })
}

// load reads and parses each file with read, in order.
func load(files []string, read func(string) ([]byte, error)) ([]Rule, error) {
	var out []Rule
	for _, f := range files {
		b, err := read(f)
		if err != nil {
			return nil, fmt.Errorf("alertrules: %w", err)
		}
		rs, err := parse(f, b)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

func parse(name string, b []byte) ([]Rule, error) {
	rgs, errs := rulefmt.Parse(b, false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
	if len(errs) > 0 {
		return nil, fmt.Errorf("alertrules: %s: %w", name, errs[0])
	}
	var out []Rule
	for _, g := range rgs.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			out = append(out, Rule{Name: r.Alert, File: path.Base(name), Group: g.Name, Expr: r.Expr,
				For: r.For, Labels: r.Labels, Annotations: r.Annotations})
		}
	}
	return out, nil
}

// ReachabilityAlerts returns the names of the rules of family reachability,
// sorted and unique: the alert names meaning "the device (or a check of it)
// does not answer", which the ticket pipeline correlates with the device's
// parent.
func ReachabilityAlerts(rs []Rule) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rs {
		if r.Family() == FamilyReachability && !seen[r.Name] {
			seen[r.Name] = true
			out = append(out, r.Name)
		}
	}
	sort.Strings(out)
	return out
}
