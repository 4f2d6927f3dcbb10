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
	rw := c.RemoteWrite
	if rw == nil || rw.URL.String() != "http://10.10.0.5:9120/api/v1/write" || rw.MaxSize != 256<<20 ||
		rw.MaxAge.Std() != 24*time.Hour || rw.Interval.Std() != 15*time.Second || !rw.Register ||
		rw.RegisterURL() != "http://10.10.0.5:9120/api/v1/agents/register" {
		t.Errorf("example remote_write decoded as %+v", rw)
	}
}

func TestConfigRemoteWrite(t *testing.T) {
	t.Parallel()
	c, err := ParseConfig("a.yml", []byte("remote_write:\n  url: https://c.example:8443/rw/api/v1/write?x=1\n  buffer_dir: /tmp/b\n  max_size: 64MB\n  register: false\n"))
	if err != nil {
		t.Fatal(err)
	}
	rw := c.RemoteWrite
	if rw.MaxSize != 64e6 || rw.Register || rw.Interval.Std() != 15*time.Second || rw.MaxAge.Std() != 24*time.Hour {
		t.Errorf("decoded as %+v", rw)
	}
	if got := rw.RegisterURL(); got != "https://c.example:8443/rw/api/v1/agents/register" {
		t.Errorf("RegisterURL = %s", got)
	}
	if c, _ := ParseConfig("a.yml", nil); c.RemoteWrite != nil {
		t.Error("no remote_write section: pushing anyway")
	}
	for in, want := range map[string]int64{"0": 0, "512": 512, "1KiB": 1024, "2 MiB": 2 << 20, "1GB": 1e9, "3B": 3} {
		if got, err := ParseByteSize(in); err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MiB", "-1", "1.5GiB", "1PB", "99999999999TiB"} {
		if _, err := ParseByteSize(bad); err == nil {
			t.Errorf("ParseByteSize(%q): no error", bad)
		}
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
		{"remote_write without url", "remote_write:\n  interval: 5s\n", "bad.yml:2: remote_write: url is required"},
		{"remote_write bad scheme", "remote_write:\n  url: ftp://c/api/v1/write\n", "bad.yml:2: URL \"ftp://c/api/v1/write\": scheme must be http or https"},
		{"remote_write no host", "remote_write:\n  url: http:///api/v1/write\n", "bad.yml:2: URL \"http:///api/v1/write\" has no host"},
		{"remote_write unknown key", "remote_write:\n  url: http://c/api/v1/write\n  buffer: /x\n", "bad.yml:3: field buffer not found"},
		{"remote_write bad size", "remote_write:\n  url: http://c/api/v1/write\n  max_size: lots\n", `bad.yml:3: invalid size "lots"`},
		{"remote_write tiny size", "remote_write:\n  url: http://c/api/v1/write\n  max_size: 10KiB\n", "bad.yml:2: remote_write: max_size 10240 is below 1MiB"},
		{"remote_write zero interval", "remote_write:\n  url: http://c/api/v1/write\n  interval: 0s\n", "bad.yml:3: timeout must be positive"},
		{"remote_write relative dir", "remote_write:\n  url: http://c/api/v1/write\n  buffer_dir: buf\n", `bad.yml:2: remote_write: buffer_dir "buf" must be an absolute path`},
		{"remote_write register not bool", "remote_write:\n  url: http://c/api/v1/write\n  register: maybe\n", "bad.yml:3: cannot unmarshal"},
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
	f.Add([]byte("remote_write: {url: 'http://c:9120/api/v1/write', max_size: 1GiB, max_age: 2d}\n"))
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
