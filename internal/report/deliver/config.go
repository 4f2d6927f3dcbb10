package deliver

import (
	"fmt"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/config"
	"github.com/roomwatch/roomwatch/internal/report"
)

// Formats a report is written in.
const (
	FormatHTML = "html"
	FormatXLSX = "xlsx"
)

// Config is the collector's `reports:` section.
type Config struct {
	// Dir keeps the delivered files; <data_dir>/reports when empty.
	Dir string `yaml:"dir"`
	// Deliver are the scheduled reports; nil gives DefaultJobs, an empty
	// list none.
	Deliver []Job `yaml:"deliver"`
}

// Job is one scheduled report.
type Job struct {
	// Kind is daily (yesterday's log), parts (last week's replaced-parts
	// register, on Mondays), monthly (last month) or quarterly (last
	// quarter).
	Kind report.Kind `yaml:"kind"`
	// At is the local time of day, HH:MM.
	At string `yaml:"at"`
	// Day is the day of the month a monthly or quarterly report is made
	// (1–28; default 1).
	Day int `yaml:"day"`
	// Formats written and attached; html and xlsx by default.
	Formats []string `yaml:"formats"`
	// Channels are notify channel names the report is sent through; none:
	// only the files are written.
	Channels []string `yaml:"channels"`

	line     int
	hour, mm int
}

// UnmarshalYAML records the job's line for validation messages.
func (j *Job) UnmarshalYAML(node *yaml.Node) error {
	type plain Job
	if err := node.Decode((*plain)(j)); err != nil {
		return err
	}
	j.line = node.Line
	return nil
}

// DefaultJobs write the daily log at 08:00, the replaced-parts register on
// Mondays at 08:15 and the monthly report on the 1st at 08:30, to files only.
func DefaultJobs() []Job {
	return []Job{
		{Kind: report.KindDaily, At: "08:00", Formats: []string{FormatHTML, FormatXLSX}},
		{Kind: report.KindParts, At: "08:15", Formats: []string{FormatHTML, FormatXLSX}},
		{Kind: report.KindMonthly, At: "08:30", Day: 1, Formats: []string{FormatHTML, FormatXLSX}},
	}
}

// ApplyDefaults fills the jobs' defaults.
func (c *Config) ApplyDefaults() {
	if c.Deliver == nil {
		c.Deliver = DefaultJobs()
	}
	for i := range c.Deliver {
		j := &c.Deliver[i]
		if j.Day == 0 && j.Kind != report.KindDaily && j.Kind != report.KindParts {
			j.Day = 1
		}
		if len(j.Formats) == 0 {
			j.Formats = []string{FormatHTML, FormatXLSX}
		}
	}
}

// Validate checks the jobs; channels names the configured notify channels.
func (c *Config) Validate(channels []string) error {
	for i := range c.Deliver {
		j := &c.Deliver[i]
		bad := func(format string, args ...any) error {
			return &config.LineError{Line: j.line, Msg: fmt.Sprintf("reports.deliver[%d]: ", i) + fmt.Sprintf(format, args...)}
		}
		switch j.Kind {
		case report.KindDaily, report.KindParts, report.KindMonthly, report.KindQuarterly:
		default:
			return bad("kind %q: want daily, parts, monthly or quarterly", j.Kind)
		}
		if _, _, err := parseAt(j.At); err != nil {
			return bad("at %q: %v", j.At, err)
		}
		if j.Day < 0 || j.Day > 28 || ((j.Kind == report.KindDaily || j.Kind == report.KindParts) && j.Day != 0) {
			return bad("day %d: 1–28, for monthly and quarterly reports only", j.Day)
		}
		for _, f := range j.Formats {
			if f != FormatHTML && f != FormatXLSX {
				return bad("format %q: want html or xlsx", f)
			}
		}
		for _, ch := range j.Channels {
			if !slices.Contains(channels, ch) {
				return bad("channel %q is not in notify.channels", ch)
			}
		}
	}
	return nil
}

// parseAt parses HH:MM.
func parseAt(s string) (int, int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, 0, fmt.Errorf("want HH:MM")
	}
	return t.Hour(), t.Minute(), nil
}
