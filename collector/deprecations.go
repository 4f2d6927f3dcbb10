package collector

import "log/slog"

// ProbeDeprecations lists the old spellings of the probe vocabulary the
// configuration was written with (`probes.checks`, a device's `checks:` and
// `probe:`): "probe" is the one word for what runs against a device, and
// the old names are read for one release. serve logs them at start and
// --check-config prints them.
func (c *Config) ProbeDeprecations() []string {
	out := c.Probes.Deprecations()
	for _, d := range c.Inventory.Deprecations() {
		out = append(out, "inventory "+d)
	}
	return out
}

// logDeprecations warns once per old spelling at start.
func logDeprecations(c *Config, log *slog.Logger) {
	for _, d := range c.ProbeDeprecations() {
		log.Warn("config: " + d)
	}
}
