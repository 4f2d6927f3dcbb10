package agent

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/config"
)

// DefaultListenAddress is where the agent serves /metrics unless told otherwise.
// node_exporter's 9100 stays free so both can run side by side during a migration.
const DefaultListenAddress = ":9110"

// Config is the agent's one YAML file (see deploy/examples/agent.yml and
// docs/agent.md). An empty or absent file gives DefaultConfig.
type Config struct {
	Web        WebConfig        `yaml:"web"`
	Labels     Labels           `yaml:"labels"`
	Sources    SourcesConfig    `yaml:"sources"`
	Filesystem FilesystemConfig `yaml:"filesystem"`
	DiskIO     DeviceFilter     `yaml:"diskio"`
	Netdev     DeviceFilter     `yaml:"netdev"`
	Watch      []WatchRule      `yaml:"watch"`
	// RemoteWrite, when set, pushes the agent's metrics to the collector.
	RemoteWrite *RemoteWriteConfig `yaml:"remote_write"`
}

// WebConfig is the HTTP listener.
type WebConfig struct {
	ListenAddress Address `yaml:"listen_address"`
	// ConfigFile is a web config file in exporter-toolkit's format (TLS,
	// client CA, basic-auth users), as node_exporter's --web.config.file,
	// which overrides it.
	ConfigFile string `yaml:"config_file"`
}

// SourcesConfig chooses the sources and bounds each one's time per scrape.
type SourcesConfig struct {
	// Enabled lists the sources to run; empty means all of them.
	Enabled []SourceName `yaml:"enabled"`
	// Disabled removes sources from Enabled (or from all).
	Disabled []SourceName `yaml:"disabled"`
	// Timeout bounds one source's work per scrape; a source still running after
	// it reports node_scrape_collector_success 0 and the scrape goes on.
	Timeout Timeout `yaml:"timeout"`
}

// Timeout is a positive config.Duration.
type Timeout struct{ config.Duration }

// UnmarshalYAML rejects zero and negative timeouts, naming the line.
func (t *Timeout) UnmarshalYAML(node *yaml.Node) error {
	if err := t.Duration.UnmarshalYAML(node); err != nil {
		return err
	}
	if t.Std() <= 0 {
		return config.Errorf(node, "timeout must be positive, such as 5s")
	}
	return nil
}

// FilesystemConfig selects the filesystems reported.
type FilesystemConfig struct {
	MountPointsExclude *Regexp `yaml:"mount_points_exclude"`
	FSTypesExclude     *Regexp `yaml:"fs_types_exclude"`
}

// DeviceFilter drops devices whose name matches Exclude.
type DeviceFilter struct {
	DevicesExclude *Regexp `yaml:"devices_exclude"`
}

// WatchRule is one entry of the process watch list: the processes whose name
// equals Process, or whose command line matches Cmdline, are counted under Name.
type WatchRule struct {
	Name    string  `yaml:"name"`
	Process string  `yaml:"process"`
	Cmdline *Regexp `yaml:"cmdline"`
	line    int
}

// UnmarshalYAML records the rule's line for Validate.
func (w *WatchRule) UnmarshalYAML(node *yaml.Node) error {
	type plain WatchRule
	if err := node.Decode((*plain)(w)); err != nil {
		return err
	}
	w.line = node.Line
	return nil
}

// Default filters, those of node_exporter 1.5 so that the same series appear.
const (
	defaultMountPointsExclude = `^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)`
	defaultFSTypesExclude     = `^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$`
	defaultDiskIOExclude      = `^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$`
	defaultSourceTimeout      = 5 * time.Second
)

// DefaultConfig returns the embedded defaults: every source, node_exporter's
// filters, no watch list, listening on DefaultListenAddress.
func DefaultConfig() Config {
	return Config{
		Web:        WebConfig{ListenAddress: DefaultListenAddress},
		Sources:    SourcesConfig{Timeout: Timeout{config.Duration(defaultSourceTimeout)}},
		Filesystem: FilesystemConfig{MountPointsExclude: mustRegexp(defaultMountPointsExclude), FSTypesExclude: mustRegexp(defaultFSTypesExclude)},
		DiskIO:     DeviceFilter{DevicesExclude: mustRegexp(defaultDiskIOExclude)},
	}
}

// LoadConfig reads path over the defaults; an empty path gives the defaults.
// Errors name the file and line.
func LoadConfig(path string) (Config, error) {
	c := DefaultConfig()
	if path == "" {
		return c, c.Validate()
	}
	if err := config.LoadFile(path, &c); err != nil {
		return Config{}, err
	}
	return c, nil
}

// ParseConfig decodes data (named name in errors) over the defaults.
func ParseConfig(name string, data []byte) (Config, error) {
	c := DefaultConfig()
	if err := config.Decode(name, data, &c); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate implements config.Validator.
func (c *Config) Validate() error {
	if c.Sources.Timeout.Std() <= 0 {
		return &config.LineError{Msg: "sources.timeout must be positive"}
	}
	seen := map[string]int{}
	for _, w := range c.Watch {
		switch {
		case w.Name == "":
			return &config.LineError{Line: w.line, Msg: "watch: every entry needs a name"}
		case !validLabelValue(w.Name):
			return &config.LineError{Line: w.line, Msg: fmt.Sprintf("watch: name %q is not valid UTF-8", w.Name)}
		case w.Process == "" && w.Cmdline == nil:
			return &config.LineError{Line: w.line, Msg: fmt.Sprintf("watch %q: set process (the executable name) or cmdline (a regular expression)", w.Name)}
		case w.Process != "" && w.Cmdline != nil:
			return &config.LineError{Line: w.line, Msg: fmt.Sprintf("watch %q: set either process or cmdline, not both", w.Name)}
		}
		if prev, dup := seen[w.Name]; dup {
			return &config.LineError{Line: w.line, Msg: fmt.Sprintf("watch: name %q already used on line %d", w.Name, prev)}
		}
		seen[w.Name] = w.line
	}
	return nil
}

// sourceEnabled reports whether the named source runs under this config.
func (c *Config) sourceEnabled(name string) bool {
	on := len(c.Sources.Enabled) == 0
	for _, s := range c.Sources.Enabled {
		if string(s) == name {
			on = true
		}
	}
	for _, s := range c.Sources.Disabled {
		if string(s) == name {
			on = false
		}
	}
	return on
}

// Address is a HOST:PORT listen address, checked when decoded.
type Address string

// UnmarshalYAML implements yaml.Unmarshaler.
func (a *Address) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.ScalarNode {
		return config.Errorf(node, "expected a listen address such as :9110 or 127.0.0.1:9110")
	}
	if err := checkAddress(node.Value); err != nil {
		return config.Errorf(node, "%v", err)
	}
	*a = Address(node.Value)
	return nil
}

func checkAddress(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("invalid listen address %q: use HOST:PORT such as :9110", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("invalid port in listen address %q", s)
	}
	return nil
}

// SourceName names one of the agent's sources (cpu, memory, …).
type SourceName string

// UnmarshalYAML rejects names that are not sources, listing the valid ones.
func (s *SourceName) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.ScalarNode {
		return config.Errorf(node, "expected a source name")
	}
	names := SourceNames()
	for _, n := range names {
		if n == node.Value {
			*s = SourceName(node.Value)
			return nil
		}
	}
	return config.Errorf(node, "unknown source %q (known: %s)", node.Value, strings.Join(names, ", "))
}

// Labels are added to every series the agent exposes (site, role, …).
type Labels map[string]string

var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// UnmarshalYAML checks each label name and value, naming the line.
func (l *Labels) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.MappingNode {
		return config.Errorf(node, "labels: expected a mapping such as {site: county-hq, role: db}")
	}
	out := Labels{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		switch {
		case !labelNameRE.MatchString(k.Value) || strings.HasPrefix(k.Value, "__"):
			return config.Errorf(k, "invalid label name %q: use letters, digits and _ and do not start with a digit or __", k.Value)
		case reservedLabel(k.Value):
			return config.Errorf(k, "label %q is set by the agent's own series; choose another name", k.Value)
		case v.Kind != yaml.ScalarNode:
			return config.Errorf(v, "label %q: expected a string value", k.Value)
		case !validLabelValue(v.Value):
			return config.Errorf(v, "label %q: value is not valid UTF-8", k.Value)
		}
		if _, dup := out[k.Value]; dup {
			return config.Errorf(k, "label %q given twice", k.Value)
		}
		out[k.Value] = v.Value
	}
	*l = out
	return nil
}

// reservedLabel reports whether name is a label of one of the agent's series:
// a constant label of the same name would make those series invalid.
func reservedLabel(name string) bool {
	switch name {
	case "cpu", "mode", "device", "fstype", "mountpoint", "collector", "watch", "chip", "sensor",
		"type", "zone", "hostname", "os", "platform", "platform_version", "kernel", "arch",
		"cpu_model", "cpus", "memory_bytes", "ip", "mac", "address", "operstate", "duplex",
		"sysname", "release", "version", "machine", "nodename", "domainname", "revision", "goversion":
		return true
	}
	return false
}

// Regexp is a regular expression written as a YAML string, anchored as written.
type Regexp struct {
	*regexp.Regexp
}

// UnmarshalYAML compiles the expression, naming the line of a bad one.
func (r *Regexp) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.ScalarNode {
		return config.Errorf(node, "expected a regular expression")
	}
	re, err := regexp.Compile(node.Value)
	if err != nil {
		return config.Errorf(node, "invalid regular expression %q: %v", node.Value, err)
	}
	r.Regexp = re
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (r Regexp) MarshalYAML() (any, error) { return r.String(), nil }

// match reports whether r is set and matches s.
func (r *Regexp) match(s string) bool {
	return r != nil && r.Regexp != nil && r.MatchString(s)
}

func mustRegexp(s string) *Regexp { return &Regexp{regexp.MustCompile(s)} }
