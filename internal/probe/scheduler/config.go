package scheduler

import (
	"fmt"
	"sort"
	"time"

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
	// Checks per device class override DefaultChecks; a device's own checks
	// override both.
	Checks map[inventory.Class][]string `yaml:"checks"`
	// ProfilesDir holds the SNMP device profiles; default rules/profiles.
	ProfilesDir string `yaml:"profiles_dir"`
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

// Check kinds.
const (
	KindICMP       = "icmp"
	KindSNMP       = "snmp"
	KindTCP        = "tcp"
	KindHTTP       = "http"
	KindRTSP       = "rtsp"
	KindISAPI      = "isapi"
	KindDahua      = "dahua"
	KindCheckpoint = "checkpoint"
)

// Kinds lists every check kind.
func Kinds() []string {
	return []string{KindICMP, KindSNMP, KindTCP, KindHTTP, KindRTSP, KindISAPI, KindDahua, KindCheckpoint}
}

// Validate implements config.Validator.
func (c *Config) Validate() error {
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
	for class, kinds := range c.Checks {
		if !class.Valid() {
			return &config.LineError{Msg: fmt.Sprintf("probes.checks: unknown class %q", class)}
		}
		for _, k := range kinds {
			if !knownKind(k) {
				return &config.LineError{Msg: fmt.Sprintf("probes.checks.%s: unknown check %q (known: %v)", class, k, Kinds())}
			}
		}
	}
	return nil
}

func knownKind(k string) bool {
	for _, x := range Kinds() {
		if x == k {
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

// ChecksFor returns the check kinds of a device: its own list, the section's
// list for its class, else DefaultChecks.
func (c *Config) ChecksFor(d *inventory.Device) []string {
	if len(d.Checks) > 0 {
		return d.Checks
	}
	if k, ok := c.Checks[d.Class]; ok {
		return k
	}
	return DefaultChecks(d)
}

// DefaultChecks are the checks of a device that names none: ping for all;
// SNMP for network, power, cooling, environment, radio, storage and printers;
// RTSP for cameras; the vendor API (ISAPI, Dahua CGI, else HTTP) for NVRs;
// TCP and, when an upload_dir or capture_url is set, capture age for
// checkpoints.
func DefaultChecks(d *inventory.Device) []string {
	switch d.Class {
	case inventory.ClassCamera:
		return []string{KindICMP, KindRTSP}
	case inventory.ClassNVR:
		return []string{KindICMP, vendorAPI(d.Vendor)}
	case inventory.ClassCheckpoint:
		k := []string{KindICMP, KindTCP}
		if d.Probe.UploadDir != "" || d.Probe.CaptureURL != "" {
			k = append(k, KindCheckpoint)
		}
		return k
	case inventory.ClassServer:
		return []string{KindICMP}
	}
	return []string{KindICMP, KindSNMP}
}

func vendorAPI(vendor string) string {
	switch inventory.VendorKey(vendor) {
	case "hikvision":
		return KindISAPI
	case "dahua":
		return KindDahua
	}
	return KindHTTP
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
