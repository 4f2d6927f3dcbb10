package agent

import (
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/config"
)

// Push defaults (docs/agent.md, "Pushing to the collector").
const (
	defaultPushInterval = 15 * time.Second
	defaultPushMaxSize  = 256 << 20
	defaultPushMaxAge   = 24 * time.Hour
	// defaultRegisterInterval repeats the registration so that a collector
	// that lost its registry relearns the agent, and changed IPs show up.
	defaultRegisterInterval = time.Hour
)

// RemoteWriteConfig is the remote_write section: the agent gathers its own
// metrics every Interval into an on-disk buffer under BufferDir and sends
// them, oldest first, to the collector's remote-write URL.
type RemoteWriteConfig struct {
	// URL of the collector's receiver, e.g. http://10.10.0.5:9120/api/v1/write.
	URL *URL `yaml:"url"`
	// BufferDir holds the buffer's segment files (default
	// /var/lib/roomwatch-agent/buffer, on Windows
	// C:\ProgramData\roomwatch-agent\buffer).
	BufferDir string `yaml:"buffer_dir"`
	// MaxSize bounds the buffer on disk (default 256MiB).
	MaxSize ByteSize `yaml:"max_size"`
	// MaxAge bounds the age of a buffered gather (default 24h).
	MaxAge Timeout `yaml:"max_age"`
	// Interval between gathers (default 15s).
	Interval Timeout `yaml:"interval"`
	// Register posts the agent's description to the collector at start and
	// every hour (default true).
	Register bool `yaml:"register"`
	// Credentials for pushes and registration, with Prometheus's
	// remote_write field names: bearer_token, bearer_token_file,
	// basic_auth and tls_config (push_auth.go).
	Credentials `yaml:",inline"`

	line int
}

// defaultRemoteWrite is what an empty remote_write section (only url) means.
func defaultRemoteWrite() RemoteWriteConfig {
	dir := "/var/lib/roomwatch-agent/buffer"
	if runtime.GOOS == "windows" {
		dir = `C:\ProgramData\roomwatch-agent\buffer`
	}
	return RemoteWriteConfig{
		BufferDir: dir,
		MaxSize:   defaultPushMaxSize,
		MaxAge:    Timeout{config.Duration(defaultPushMaxAge)},
		Interval:  Timeout{config.Duration(defaultPushInterval)},
		Register:  true,
	}
}

// UnmarshalYAML fills the defaults, then the keys given; url is required.
func (r *RemoteWriteConfig) UnmarshalYAML(node *yaml.Node) error {
	type plain RemoteWriteConfig
	d := defaultRemoteWrite()
	if err := node.Decode((*plain)(&d)); err != nil {
		return err
	}
	if d.URL == nil {
		return config.Errorf(node, "remote_write: url is required, such as http://collector:9120/api/v1/write")
	}
	if d.BufferDir == "" {
		return config.Errorf(node, "remote_write: buffer_dir must not be empty")
	}
	if !filepath.IsAbs(d.BufferDir) {
		return config.Errorf(node, "remote_write: buffer_dir %q must be an absolute path", d.BufferDir)
	}
	if d.MaxSize < 1<<20 {
		return config.Errorf(node, "remote_write: max_size %d is below 1MiB", int64(d.MaxSize))
	}
	if err := d.Credentials.check(node); err != nil {
		return err
	}
	d.line = node.Line
	*r = d
	return nil
}

// RegisterURL is the collector's registration endpoint on the same host as
// the remote-write URL: /api/v1/agents/register, under the same path prefix
// when the receiver sits below one (…/prefix/api/v1/write).
func (r *RemoteWriteConfig) RegisterURL() string {
	u := *r.URL.URL
	prefix, _ := strings.CutSuffix(u.Path, "/api/v1/write")
	if prefix == u.Path {
		prefix = ""
	}
	u.Path = strings.TrimSuffix(prefix, "/") + "/api/v1/agents/register"
	u.RawQuery = ""
	return u.String()
}

// URL is an http or https URL with a host, checked when decoded.
type URL struct{ *url.URL }

// UnmarshalYAML implements yaml.Unmarshaler.
func (u *URL) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.ScalarNode {
		return config.Errorf(node, "expected a URL such as http://collector:9120/api/v1/write")
	}
	p, err := url.Parse(node.Value)
	if err != nil {
		return config.Errorf(node, "invalid URL %q: %v", node.Value, err)
	}
	if p.Scheme != "http" && p.Scheme != "https" {
		return config.Errorf(node, "URL %q: scheme must be http or https", node.Value)
	}
	if p.Host == "" {
		return config.Errorf(node, "URL %q has no host", node.Value)
	}
	u.URL = p
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (u URL) MarshalYAML() (any, error) { return u.String(), nil }

// ByteSize is a size in bytes written as 268435456, 256MiB, 64MB, 1GiB or 512KiB.
type ByteSize int64

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (b *ByteSize) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.ScalarNode {
		return config.Errorf(node, "expected a size such as 256MiB")
	}
	n, err := ParseByteSize(node.Value)
	if err != nil {
		return config.Errorf(node, "%v", err)
	}
	*b = ByteSize(n)
	return nil
}

// ParseByteSize parses a size in bytes with an optional unit (KiB, MiB, GiB,
// TiB, KB, MB, GB, TB, B).
func ParseByteSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range byteUnits {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid size %q: use a whole number of bytes with an optional unit, such as 256MiB", s)
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return n * mult, nil
}
