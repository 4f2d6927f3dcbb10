package inspect

// Config is the collector config's `inspections:` section.
type Config struct {
	// Templates is the directory of templates; rules/inspections by default.
	Templates string `yaml:"templates"`
	// PrometheusURL, when set, runs metric checks on an external Prometheus
	// (scale mode) instead of the embedded TSDB.
	PrometheusURL string `yaml:"prometheus_url"`
}

// TemplatesDir returns the templates directory.
func (c Config) TemplatesDir() string {
	if c.Templates == "" {
		return "rules/inspections"
	}
	return c.Templates
}
