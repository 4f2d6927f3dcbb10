package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	c, err := LoadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Web.ListenAddress != ":9110" || c.Sources.Timeout.Std() != 5*time.Second {
		t.Errorf("defaults: %+v", c)
	}
	for _, n := range SourceNames() {
		if !c.sourceEnabled(n) {
			t.Errorf("source %s off by default", n)
		}
	}
	if !c.Filesystem.FSTypesExclude.match("proc") || c.Filesystem.FSTypesExclude.match("ext4") {
		t.Error("default fs type filter")
	}
	// An empty file keeps the defaults too.
	e, err := ParseConfig("empty.yml", nil)
	if err != nil || e.Web.ListenAddress != ":9110" {
		t.Errorf("empty file: %v %+v", err, e.Web)
	}
}

func TestConfigExample(t *testing.T) {
	t.Parallel()
	root, err := testutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(filepath.Join(root, "deploy/examples/agent.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Labels["site"] != "county-hq" || len(c.Watch) != 3 || c.Watch[2].Cmdline == nil ||
		!c.Watch[2].Cmdline.MatchString("java -Xmx1g -jar /opt/video-gateway-2.1.jar") {
		t.Errorf("example config decoded as %+v", c)
	}
}

func TestConfigSources(t *testing.T) {
	t.Parallel()
	c, err := ParseConfig("a.yml", []byte("sources:\n  enabled: [cpu, memory, sensors]\n  disabled: [sensors]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(enabledSources(&c), ","); got != "cpu,memory" {
		t.Errorf("enabled = %s", got)
	}
}

// TestConfigErrors: each bad file gets a clear error naming file and line.
func TestConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown top-level key", "web:\n  listen_address: :9110\nlisten: :9100\n", "bad.yml:3: field listen not found"},
		{"unknown nested key", "web:\n  listen_adress: :9110\n", "bad.yml:2: field listen_adress not found"},
		{"bad listen address", "web:\n  listen_address: 9110\n", `bad.yml:2: invalid listen address "9110"`},
		{"bad port", "web:\n  listen_address: \":99999\"\n", `bad.yml:2: invalid port`},
		{"unknown source", "sources:\n  enabled:\n    - cpu\n    - gpu\n", `bad.yml:4: unknown source "gpu" (known: cpu, loadavg`},
		{"bad timeout", "sources:\n  timeout: soon\n", `bad.yml:2: invalid duration "soon"`},
		{"zero timeout", "sources:\n  timeout: 0s\n", "bad.yml:2: timeout must be positive"},
		{"bad regexp", "filesystem:\n  fs_types_exclude: '^(tmpfs'\n", "bad.yml:2: invalid regular expression"},
		{"bad label name", "labels:\n  site: a\n  9role: db\n", `bad.yml:3: invalid label name "9role"`},
		{"reserved label", "labels:\n  device: x\n", `bad.yml:2: label "device" is set by the agent`},
		{"label not a string", "labels:\n  site: [a, b]\n", `bad.yml:2: label "site": expected a string value`},
		{"watch without name", "watch:\n  - process: sshd\n", "bad.yml:2: watch: every entry needs a name"},
		{"watch without matcher", "watch:\n  - name: ssh\n", `bad.yml:2: watch "ssh": set process`},
		{"watch with both", "watch:\n  - name: ssh\n    process: sshd\n    cmdline: sshd\n", "bad.yml:2: watch \"ssh\": set either process or cmdline"},
		{"watch duplicate", "watch:\n  - name: ssh\n    process: sshd\n  - name: ssh\n    process: ssh\n", `bad.yml:4: watch: name "ssh" already used on line 2`},
		{"watch unknown key", "watch:\n  - name: ssh\n    proces: sshd\n", "bad.yml:3: field proces not found"},
		{"watch bad regexp", "watch:\n  - name: j\n    cmdline: 'java (('\n", "bad.yml:3: invalid regular expression"},
		{"wrong type", "watch: sshd\n", "bad.yml:1"},
		{"syntax error", "web:\n  listen_address: [\n", "bad.yml"},
		{"two documents", "web: {}\n---\nweb: {}\n", "bad.yml:2: a second YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseConfig("bad.yml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("no error for:\n%s", tt.yaml)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("web:\n  listen_address: :9110\nwatch:\n  - name: a\n    process: b\n"))
	f.Add([]byte("labels: {site: x}\nsources: {enabled: [cpu], timeout: 2s}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseConfig("fuzz.yml", data)
	})
}

func TestLoadConfigMissingFile(t *testing.T) {
	t.Parallel()
	_, err := LoadConfig(filepath.Join(t.TempDir(), "nope.yml"))
	if err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("missing file: %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}
