package scheduler

import (
	"fmt"
	"sort"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/config"
	"github.com/roomwatch/roomwatch/internal/inventory"
)

// Config is the collector's `probes:` section.
type Config struct {
	// Intervals per device class override DefaultIntervals; a device's own
	// interval overrides both.
	Intervals map[inventory.Class]config.Duration `yaml:"intervals"`
	// Timeout per probe; default: a third of the interval, at most 10s. It must
	// stay below the interval.
	Timeout config.Duration `yaml:"timeout"`
	// Concurrency bounds the probes in flight; default DefaultConcurrency.
	Concurrency int `yaml:"concurrency"`
	// ByClass names the probes per device class, overriding DefaultProbes; a
	// device's own probes override both.
	ByClass map[inventory.Class][]string `yaml:"by_class"`
	// OldChecks is what ByClass was called before "probe" became the one
	// word for it (`probes.checks`). ApplyDefaults moves it to ByClass and
	// Deprecations reports it; read for one release.
	OldChecks map[inventory.Class][]string `yaml:"checks"`
	renamed   bool
	// ProfilesDir holds the SNMP device profiles; default rules/profiles.
	ProfilesDir string `yaml:"profiles_dir"`
	// Series per device class overrides DefaultSeries: which series a
	// device's probes store and expose (docs/probes.md, "Brief series").
	Series map[inventory.Class]SeriesLevel `yaml:"series"`
}

// SeriesLevel is how many series a device's probes store and expose.
type SeriesLevel string

// Series levels.
const (
	// SeriesFull is every series a probe result has.
	SeriesFull SeriesLevel = "full"
	// SeriesBrief leaves out what nothing in roomwatch reads and what
	// another series says already: the per-probe duration, last-run time
	// (the timestamp of roomwatch_probe_up) and failures counter, and the
	// samples a probe marks as detail (the RTT's min and max, jitter).
	// For a camera pinged every minute that is 4 series instead of 10,
	// which is what keeps 10,000 cameras in the collector's memory budget.
	SeriesBrief SeriesLevel = "brief"
)

func (l SeriesLevel) valid() bool { return l == SeriesFull || l == SeriesBrief }

// UnmarshalYAML implements yaml.Unmarshaler: a level other than full or
// brief is refused with its line.
func (l *SeriesLevel) UnmarshalYAML(n *yaml.Node) error {
	v := SeriesLevel(n.Value)
	if n.Kind != yaml.ScalarNode || !v.valid() {
		return config.Errorf(n, "probes.series: %q is neither %q nor %q", n.Value, SeriesFull, SeriesBrief)
	}
	*l = v
	return nil
}

// DefaultSeries is the series level of a class `probes.series` does not
// name: brief for cameras and checkpoint cameras, the classes counted in
// thousands, full for the rest.
func DefaultSeries(c inventory.Class) SeriesLevel {
	switch c {
	case inventory.ClassCamera, inventory.ClassCheckpoint:
		return SeriesBrief
	}
	return SeriesFull
}

// Brief reports whether a device's probe results keep brief series.
func (c *Config) Brief(d *inventory.Device) bool {
	level, ok := c.Series[d.Class]
	if !ok {
		level = DefaultSeries(d.Class)
	}
	return level == SeriesBrief
}

// DefaultConcurrency is sized for a 2-core collector: probes wait on the
// network, not the CPU, so 256 in flight keeps 5,000 cameras on a 60 s
// interval (≈ 85 probes/s at up to 3 s each) without queueing.
const DefaultConcurrency = 256

// DefaultIntervals per class: power and cooling every 30 s (a UPS on battery
// or a failed air conditioner needs minutes to matter), the rest every 60 s,
// printers every 5 min.
func DefaultIntervals() map[inventory.Class]time.Duration {
	m := map[inventory.Class]time.Duration{}
	for _, c := range inventory.Classes() {
		if d, ok := defaultInterval(c); ok {
			m[c] = d
		}
	}
	return m
}

// defaultInterval is DefaultIntervals()[c] without building the map: Plan
// asks it twice per target (interval and timeout), 20,000 times for a fleet
// of 10,000 cameras.
func defaultInterval(c inventory.Class) (time.Duration, bool) {
	switch c {
	case inventory.ClassUPS, inventory.ClassAC, inventory.ClassEnv:
		return 30 * time.Second, true
	case inventory.ClassSwitch, inventory.ClassRouter, inventory.ClassFirewall,
		inventory.ClassServer, inventory.ClassNVR, inventory.ClassCamera,
		inventory.ClassCheckpoint, inventory.ClassRadio, inventory.ClassStorage:
		return time.Minute, true
	case inventory.ClassPrinter:
		return 5 * time.Minute, true
	}
	return 0, false
}

// Probe names: what a device's `probes:` list and the `probe` label of the
// probe series say.
const (
	ProbeICMP       = "icmp"
	ProbeSNMP       = "snmp"
	ProbeTCP        = "tcp"
	ProbeHTTP       = "http"
	ProbeRTSP       = "rtsp"
	ProbeISAPI      = "isapi"
	ProbeDahua      = "dahua"
	ProbeCheckpoint = "checkpoint"
)

// ProbeNames lists every probe.
func ProbeNames() []string {
	return []string{ProbeICMP, ProbeSNMP, ProbeTCP, ProbeHTTP, ProbeRTSP, ProbeISAPI, ProbeDahua, ProbeCheckpoint}
}

// ApplyDefaults implements config.Defaulter: it moves the old
// `probes.checks` into `probes.by_class` (Validate refuses both set).
func (c *Config) ApplyDefaults() {
	if len(c.OldChecks) > 0 && len(c.ByClass) == 0 {
		c.ByClass, c.OldChecks, c.renamed = c.OldChecks, nil, true
	}
}

// Deprecations lists the old spellings this section was written with.
func (c *Config) Deprecations() []string {
	if c.renamed {
		return []string{"probes.checks is renamed probes.by_class; the old name is read for one release"}
	}
	return nil
}

// Validate implements config.Validator.
func (c *Config) Validate() error {
	if len(c.OldChecks) > 0 {
		return &config.LineError{Msg: "probes.checks and probes.by_class are both set: keep only probes.by_class (probes.checks is its old name)"}
	}
	for class, d := range c.Intervals {
		if !class.Valid() {
			return &config.LineError{Msg: fmt.Sprintf("probes.intervals: unknown class %q", class)}
		}
		if d <= 0 {
			return &config.LineError{Msg: fmt.Sprintf("probes.intervals.%s must be positive", class)}
		}
		if c.Timeout > 0 && time.Duration(c.Timeout) >= time.Duration(d) {
			return &config.LineError{Msg: fmt.Sprintf("probes.timeout %v must be below the %s interval %v", time.Duration(c.Timeout), class, time.Duration(d))}
		}
	}
	if c.Timeout < 0 {
		return &config.LineError{Msg: "probes.timeout must be positive"}
	}
	if c.Concurrency < 0 {
		return &config.LineError{Msg: "probes.concurrency must be positive"}
	}
	for class, names := range c.ByClass {
		if !class.Valid() {
			return &config.LineError{Msg: fmt.Sprintf("probes.by_class: unknown class %q", class)}
		}
		for _, k := range names {
			if !KnownProbe(k) {
				return &config.LineError{Msg: fmt.Sprintf("probes.by_class.%s: unknown probe %q (known: %v)", class, k, ProbeNames())}
			}
		}
	}
	for class, level := range c.Series {
		if !class.Valid() {
			return &config.LineError{Msg: fmt.Sprintf("probes.series: unknown class %q", class)}
		}
		if !level.valid() { // a Config built in code; YAML refuses it with its line
			return &config.LineError{Msg: fmt.Sprintf("probes.series.%s: %q is neither %q nor %q", class, level, SeriesFull, SeriesBrief)}
		}
	}
	return nil
}

// KnownProbe reports whether name is one of ProbeNames.
func KnownProbe(name string) bool {
	for _, x := range ProbeNames() {
		if x == name {
			return true
		}
	}
	return false
}

// Interval returns the probe interval of a device.
func (c *Config) Interval(d *inventory.Device) time.Duration {
	if d.Interval > 0 {
		return time.Duration(d.Interval)
	}
	if v, ok := c.Intervals[d.Class]; ok {
		return time.Duration(v)
	}
	if v, ok := defaultInterval(d.Class); ok {
		return v
	}
	return time.Minute
}

// TimeoutFor returns the per-probe timeout of a device: its own, the
// section's, else a third of the interval capped at 10 s; always below the
// interval.
func (c *Config) TimeoutFor(d *inventory.Device) time.Duration {
	iv := c.Interval(d)
	t := time.Duration(d.Timeout)
	if t <= 0 {
		t = time.Duration(c.Timeout)
	}
	if t <= 0 {
		t = min(iv/3, 10*time.Second)
	}
	if t >= iv {
		t = iv * 9 / 10
	}
	return t
}

// ProbesFor returns the probes of a device: its own list, the section's list
// for its class, else DefaultProbes.
func (c *Config) ProbesFor(d *inventory.Device) []string {
	if len(d.Probes) > 0 {
		return d.Probes
	}
	if k, ok := c.ByClass[d.Class]; ok {
		return k
	}
	return DefaultProbes(d)
}

// DefaultProbes are the probes of a device that names none: ping for all;
// SNMP for network, power, cooling, environment, radio, storage and printers;
// RTSP for cameras; the vendor API (ISAPI, Dahua CGI, else HTTP) for NVRs;
// TCP and, when an upload_dir or capture_url is set, capture age for
// checkpoints.
func DefaultProbes(d *inventory.Device) []string {
	switch d.Class {
	case inventory.ClassCamera:
		return []string{ProbeICMP, ProbeRTSP}
	case inventory.ClassNVR:
		return []string{ProbeICMP, vendorAPI(d.Vendor)}
	case inventory.ClassCheckpoint:
		k := []string{ProbeICMP, ProbeTCP}
		if d.Probe.UploadDir != "" || d.Probe.CaptureURL != "" {
			k = append(k, ProbeCheckpoint)
		}
		return k
	case inventory.ClassServer:
		return []string{ProbeICMP}
	}
	return []string{ProbeICMP, ProbeSNMP}
}

func vendorAPI(vendor string) string {
	switch inventory.VendorKey(vendor) {
	case "hikvision":
		return ProbeISAPI
	case "dahua":
		return ProbeDahua
	}
	return ProbeHTTP
}

// sortedKinds returns the map's keys sorted, for stable output.
func sortedKinds[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
