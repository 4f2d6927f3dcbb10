package collector

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/testutil"
	"github.com/roomwatch/roomwatch/rules"
)

// collectorBin is roomwatch-collector built once per test run (as make build
// does, without cgo) into a temporary directory that TestMain removes.
var collectorBin struct {
	once      sync.Once
	dir, path string
	err       error
}

func buildCollector(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	b := &collectorBin
	b.once.Do(func() {
		root, err := testutil.ModuleRoot()
		if err == nil {
			b.dir, err = os.MkdirTemp("", "roomwatch-collector-bin-")
		}
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(b.dir, "roomwatch-collector")
		cmd := exec.Command("go", "build", "-trimpath", "-o", b.path, "./collector/cmd/roomwatch-collector")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if collectorBin.dir != "" {
		os.RemoveAll(collectorBin.dir)
	}
	os.Exit(code)
}

// writeConfig writes body as dir/collector.yml and returns its path.
func writeConfig(t *testing.T, dir, body string) string {
	t.Helper()
	path := filepath.Join(dir, "collector.yml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// proc is a started roomwatch-collector with its log file.
type proc struct {
	cmd *exec.Cmd
	log string
}

// startBinary runs the binary in dir with args; the process is killed when
// the test ends and its log printed if the test failed.
func startBinary(t *testing.T, bin, dir string, args ...string) *proc {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "collector-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, log: f.Name()}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		f.Close()
		if t.Failed() {
			b, _ := os.ReadFile(p.log)
			t.Logf("roomwatch-collector %v log:\n%s", args, b)
		}
	})
	return p
}

// embeddedGroups returns the rule group names of the embedded alert files.
func embeddedGroups(t *testing.T) []string {
	t.Helper()
	files, err := fs.Glob(rules.FS(), "alerts/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded alert files: %v %v", files, err)
	}
	var names []string
	for _, f := range files {
		b, err := fs.ReadFile(rules.FS(), f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Groups []struct {
				Name string `yaml:"name"`
			} `yaml:"groups"`
		}
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, g := range doc.Groups {
			names = append(names, g.Name)
		}
	}
	slices.Sort(names)
	return names
}

// TestBinaryRunsFromAnyDirectory: the built binary, started with no config in
// an empty directory (no rules/ beside it), checks its embedded configuration
// and then serves it: ready, the shipped rule groups loaded, data under ./data.
func TestBinaryRunsFromAnyDirectory(t *testing.T) {
	t.Parallel()
	bin := buildCollector(t)
	cwd := t.TempDir()

	cmd := exec.Command(bin, "--check-config")
	cmd.Dir = cwd
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("--check-config: %v\n%s", err, out)
	}
	if want := fmt.Sprintf("configuration OK: embedded defaults / 内置默认配置, %d rule files", len(mustGlob(t, "alerts/*.yml"))); !strings.Contains(string(out), want) {
		t.Errorf("--check-config said %q, want %q", out, want)
	}
	if ents, _ := os.ReadDir(cwd); len(ents) != 0 {
		t.Errorf("--check-config wrote into the working directory: %v", ents)
	}

	addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	p := startBinary(t, bin, cwd, "--web.listen-address", addr)
	base := "http://" + addr
	testutil.WaitHTTP(t, base+"/-/ready", 30*time.Second)
	code, body := get(t, base+"/api/v1/rules")
	if code != http.StatusOK {
		t.Fatalf("/api/v1/rules: HTTP %d: %s", code, body)
	}
	var rr struct {
		Data struct {
			Groups []struct {
				Name  string `json:"name"`
				File  string `json:"file"`
				Rules []any  `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &rr); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range rr.Data.Groups {
		got = append(got, g.Name)
		if !strings.HasPrefix(g.File, filepath.Join("data", "rules", "alerts")) || len(g.Rules) == 0 {
			t.Errorf("group %s from %s with %d rules, want rules from data/rules/alerts", g.Name, g.File, len(g.Rules))
		}
	}
	slices.Sort(got)
	if want := embeddedGroups(t); !slices.Equal(got, want) {
		t.Errorf("rule groups %v, want the shipped %v", got, want)
	}
	for _, f := range []string{"data/rules/" + rules.Marker, "data/rules/fault-levels.yml", "data/rules/profiles/ups-mib.yml", "data/tsdb", "data/tickets.db"} {
		if _, err := os.Stat(filepath.Join(cwd, f)); err != nil {
			t.Errorf("after start: %v", err)
		}
	}
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("exit after SIGINT: %v", err)
	}
}

func mustGlob(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := fs.Glob(rules.FS(), pattern)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestUseEmbeddedRules: only default paths missing from the working directory
// move to the extracted copy; a directory of someone else's files is not
// overwritten.
func TestUseEmbeddedRules(t *testing.T) {
	// Not parallel-safe with a changed working directory: run it alone.
	cwd := t.TempDir()
	t.Chdir(cwd)
	cfg := DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.SLA.Dir = "/etc/roomwatch/sla"                              // the config's own path stays
	if err := os.MkdirAll("rules/inspections", 0o750); err != nil { // present in the working directory: stays
		t.Fatal(err)
	}
	dir := filepath.Join(cwd, "data", "rules")
	changed, err := UseEmbeddedRules(&cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"rules.files", "tickets.rules", "sla.holidays", "probes.profiles_dir"}
	if !slices.Equal(changed, want) {
		t.Errorf("changed %v, want %v", changed, want)
	}
	if cfg.SLA.Dir != "/etc/roomwatch/sla" || cfg.Inspections.Templates != "" {
		t.Errorf("sla.dir %q, inspections.templates %q: changed though not defaults-and-missing", cfg.SLA.Dir, cfg.Inspections.Templates)
	}
	if cfg.Rules.Files[0] != filepath.Join(dir, "alerts", "*.yml") || cfg.Probes.ProfilesDir != filepath.Join(dir, "profiles") {
		t.Errorf("rules.files %v, profiles %q", cfg.Rules.Files, cfg.Probes.ProfilesDir)
	}
	cfg.SLA.Dir = filepath.Join(dir, "sla")
	if err := os.Remove("rules/inspections"); err != nil {
		t.Fatal(err)
	}
	n, err := CheckFiles(&cfg)
	if err != nil || n != len(mustGlob(t, "alerts/*.yml")) {
		t.Errorf("CheckFiles on the extracted copy: %d files, %v", n, err)
	}
	// Extracting again over our own copy is fine; over foreign files it is refused.
	if err := rules.Extract(dir); err != nil {
		t.Errorf("second extract: %v", err)
	}
	foreign := filepath.Join(cwd, "mine")
	if err := os.MkdirAll(foreign, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(foreign, "power.yml"), []byte("groups: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := rules.Extract(foreign); err == nil || !strings.Contains(err.Error(), "not overwriting") {
		t.Errorf("extract over foreign files: %v", err)
	}
}
