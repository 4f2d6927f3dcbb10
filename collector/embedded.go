package collector

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/ruler"
	"github.com/roomwatch/roomwatch/internal/snmp"
	"github.com/roomwatch/roomwatch/rules"
)

// Default locations of the shipped data files, relative to the working
// directory (the repository root in development).
const (
	defaultAlertFiles  = "rules/alerts/*.yml"
	defaultFaultLevels = "rules/fault-levels.yml"
	defaultSLADir      = "rules/sla"
	defaultHolidays    = "rules/calendars/cn-holidays.yml"
	defaultInspections = "rules/inspections"
	defaultProfiles    = "rules/profiles"
)

// EmbeddedRulesDir is where serve extracts the embedded data files.
func EmbeddedRulesDir(dataDir string) string { return filepath.Join(dataDir, "rules") }

// UseEmbeddedRules points every data-file path the config leaves at its
// default, and that does not exist from the working directory, at the
// binary's embedded copy, extracted under dir. It returns the settings it
// changed (empty when the working directory has them all, as in the
// repository, or when the config names its own paths).
func UseEmbeddedRules(c *Config, dir string) ([]string, error) {
	var changed []string
	missing := isMissing
	use := func(setting string, dst *string, rel string) {
		*dst = filepath.Join(dir, filepath.FromSlash(rel))
		changed = append(changed, setting)
	}
	if len(c.Rules.Files) == 1 && c.Rules.Files[0] == defaultAlertFiles {
		if m, _ := filepath.Glob(defaultAlertFiles); len(m) == 0 {
			use("rules.files", &c.Rules.Files[0], "alerts/*.yml")
		}
	}
	if c.Tickets.Rules == defaultFaultLevels && missing(defaultFaultLevels) {
		use("tickets.rules", &c.Tickets.Rules, "fault-levels.yml")
	}
	if c.SLA.Dir == defaultSLADir && missing(defaultSLADir) {
		use("sla.dir", &c.SLA.Dir, "sla")
	}
	if c.SLA.Holidays == defaultHolidays && missing(defaultHolidays) {
		use("sla.holidays", &c.SLA.Holidays, "calendars/cn-holidays.yml")
	}
	if (c.Inspections.Templates == "" || c.Inspections.Templates == defaultInspections) && missing(defaultInspections) {
		use("inspections.templates", &c.Inspections.Templates, "inspections")
	}
	if (c.Probes.ProfilesDir == "" || c.Probes.ProfilesDir == defaultProfiles) && missing(defaultProfiles) {
		use("probes.profiles_dir", &c.Probes.ProfilesDir, "profiles")
	}
	if len(changed) == 0 {
		return nil, nil
	}
	if err := rules.Extract(dir); err != nil {
		return nil, fmt.Errorf("embedded rules for %v: %w", changed, err)
	}
	return changed, nil
}

// UseEmbeddedRulesTemp is UseEmbeddedRules for one-shot commands (probe,
// report, inspect, --check-config): the embedded copy, when one is needed,
// goes to a fresh temporary directory that cleanup removes, so the command
// writes nothing next to the config or under the data dir.
func UseEmbeddedRulesTemp(c *Config) (cleanup func(), err error) {
	tmp, err := os.MkdirTemp("", "roomwatch-rules-")
	if err != nil {
		return func() {}, fmt.Errorf("embedded rules: %w", err)
	}
	cleanup = func() { _ = os.RemoveAll(tmp) }
	if _, err := UseEmbeddedRules(c, filepath.Join(tmp, "rules")); err != nil {
		cleanup()
		return func() {}, err
	}
	return cleanup, nil
}

// CheckFiles loads every data file the config names — alerting rules (as
// promtool check rules does), fault levels and SLA profiles when tickets are
// on, inspection templates, SNMP profiles — and returns how many rule files
// it checked. It is what --check-config runs after the config itself.
func CheckFiles(c *Config) (int, error) {
	files, err := ruler.Expand(c.Rules.Files)
	if err == nil {
		err = ruler.CheckFiles(files)
	}
	if err != nil {
		return 0, fmt.Errorf("rules: %w", err)
	}
	if c.Tickets.On() {
		if _, err := classify.Load(c.Tickets.Rules); err != nil {
			return 0, fmt.Errorf("tickets: fault levels: %w", err)
		}
		if _, err := c.SLA.Load(); err != nil {
			return 0, fmt.Errorf("tickets: %w", err)
		}
	}
	if dir := c.Inspections.TemplatesDir(); c.Inspections.Templates != "" || !isMissing(dir) {
		if _, err := inspect.LoadDir(dir); err != nil {
			return 0, fmt.Errorf("inspections: %w", err)
		}
	}
	if dir := c.Probes.ProfilesDir; dir != "" {
		if _, err := snmp.LoadProfiles(dir); err != nil {
			return 0, fmt.Errorf("probes: %w", err)
		}
	}
	return len(files), nil
}

func isMissing(p string) bool {
	_, err := os.Stat(p)
	return os.IsNotExist(err)
}
