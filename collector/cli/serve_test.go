package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

func runCLI(ctx context.Context, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(ctx, Env{Stdout: &out, Stderr: &errb}, args)
	return code, out.String(), errb.String()
}

func TestServeFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yml")
	os.WriteFile(bad, []byte("global:\n  site: hq\nstorage:\n  retension: 40d\n"), 0o600)
	badRules := filepath.Join(dir, "badrules.yml")
	os.WriteFile(filepath.Join(dir, "r.yml"), []byte("groups:\n- name: g\n  rules:\n  - alert: X\n    expr: sum(\n"), 0o600)
	os.WriteFile(badRules, []byte(fmt.Sprintf("rules:\n  files: ['%s/r.yml']\nscrape: []\n", dir)), 0o600)
	good := filepath.Join(dir, "good.yml")
	root, _ := testutil.ModuleRoot()
	os.WriteFile(good, []byte(fmt.Sprintf("rules:\n  files: ['%s/rules/alerts/*.yml']\n", root)), 0o600)
	old := filepath.Join(dir, "old.yml")
	os.WriteFile(old, []byte(fmt.Sprintf("rules:\n  files: ['%s/rules/alerts/*.yml']\n"+
		"inventory:\n  devices:\n    - {name: srv1, class: server, address: 127.0.0.1, checks: [tcp], probe: {tcp_ports: [22]}}\n"+
		"probes:\n  checks: {camera: [icmp]}\n", root)), 0o600)
	tests := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"--version"}, 0, "roomwatch-collector "},
		{[]string{"--check-config", "--config", old}, 0, "警告 / warning: probes.checks is renamed probes.by_class"},
		{[]string{"--check-config", "--config", old}, 0, "警告 / warning: inventory line 5: device srv1: checks is renamed probes"},
		{[]string{"--check-config", "--config", old}, 0, "警告 / warning: inventory line 5: device srv1: probe is renamed probe_options"},
		{[]string{"serve", "--version"}, 0, "roomwatch-collector "},
		{[]string{"--check-config", "--config", bad}, 2, "bad.yml:4: field retension not found"},
		{[]string{"--check-config", "--config", badRules}, 2, "r.yml"},
		{[]string{"--check-config", "--config", good}, 0, "configuration OK"},
		{[]string{"--check-config", "--config", filepath.Join(dir, "missing.yml")}, 2, "missing.yml"},
		{[]string{"--no-such-flag"}, 2, "flag provided but not defined"},
		{[]string{"--log.level", "loud"}, 2, "log.level"},
	}
	for _, tt := range tests {
		code, out, errs := runCLI(context.Background(), tt.args...)
		if code != tt.code || !strings.Contains(out+errs, tt.out) {
			t.Errorf("%v: exit %d, output %q; want %d with %q", tt.args, code, out+errs, tt.code, tt.out)
		}
	}
}

// TestServeRunsAndStops starts the real serve command with the embedded
// defaults (rules from the repository, a data dir flag), checks it answers,
// then cancels it like SIGTERM and expects a clean exit with the TSDB closed.
func TestServeRunsAndStops(t *testing.T) {
	t.Parallel()
	root, err := testutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("rules:\n  files: ['%[1]s/rules/alerts/*.yml']\nscrape: []\n"+
		"tickets:\n  rules: '%[1]s/rules/fault-levels.yml'\n"+
		"sla:\n  dir: '%[1]s/rules/sla'\n  holidays: '%[1]s/rules/calendars/cn-holidays.yml'\n", root)), 0o600)
	addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errb bytes.Buffer
	go func() {
		done <- Main(ctx, Env{Stdout: &out, Stderr: &errb}, []string{"--config", cfg, "--web.listen-address", addr, "--data-dir", dir})
	}()
	testutil.WaitHTTP(t, "http://"+addr+"/-/ready", 20*time.Second)
	resp, err := http.Get("http://" + addr + "/api/v1/rules")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/api/v1/rules: %s", resp.Status)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d: %s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(errb.String(), "TSDB is flushed and closed") {
		t.Errorf("no clean shutdown in the log:\n%s", errb.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "tsdb", "wal")); err != nil {
		t.Errorf("no TSDB under --data-dir: %v", err)
	}
}

// TestCheckConfigSLAProfiles: --check-config names the default profile and
// the select rules, counts the inventory per profile, and shows the profile
// of each --sla-sample (seed 003: detention centre and station router).
func TestCheckConfigSLAProfiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	root, err := testutil.ModuleRoot()
	if err != nil {
		t.Skip(err)
	}
	cfg := filepath.Join(dir, "c.yml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`rules: {files: []}
inventory:
  sites:
    - {name: county, display_name: 县局机房}
    - {name: detention, display_name: 看守所}
    - {name: ps-chengguan, display_name: 城关派出所}
  devices:
    - {name: sw-core, class: switch, address: 127.0.0.1, site: county}
    - {name: sw-kss, class: switch, address: 127.0.0.2, site: detention}
    - {name: rt-cg, class: router, address: 127.0.0.3, site: ps-chengguan}
tickets: {rules: %[1]s/rules/fault-levels.yml}
sla:
  profile: seed003
  dir: %[1]s/rules/sla
  holidays: %[1]s/rules/calendars/cn-holidays.yml
  select:
    - {profile: seed003_detention, match: {site: [detention]}}
    - {profile: seed003_other, match: {site: [ps-chengguan]}}
`, root)), 0o600)
	code, out, errs := runCLI(context.Background(), "--check-config", "--config", cfg,
		"--sla-sample", "device=rt-cg", "--sla-sample", "site=detention,class=switch", "--sla-sample", "device=sw-core,level=II")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{
		"default profile: seed003",
		"select[0]: site=detention → seed003_detention",
		"SLA seed003: 1 inventory devices",
		"SLA seed003_detention: 1 inventory devices",
		"SLA seed003_other: 1 inventory devices",
		"SLA sample device=rt-cg (category room_it, level ",
		") → seed003_other [select[1] site=ps-chengguan]: onsite 2h0m0s, plan 3h0m0s",
		"SLA sample site=detention,class=switch (category room_it, level ",
		") → seed003_detention [select[0] site=detention]: onsite 1h0m0s",
		"SLA sample device=sw-core,level=II (category room_it, level II) → seed003 [default]: onsite 20m0s, resolve 1h0m0s, spare 2h0m0s",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	bad := filepath.Join(dir, "bad.yml")
	os.WriteFile(bad, []byte(fmt.Sprintf("rules: {files: []}\ntickets: {rules: %[1]s/rules/fault-levels.yml}\nsla:\n  dir: %[1]s/rules/sla\n  holidays: %[1]s/rules/calendars/cn-holidays.yml\n  select:\n    - {profile: nope}\n", root)), 0o600)
	if code, out, errs := runCLI(context.Background(), "--check-config", "--config", bad); code != 2 || !strings.Contains(errs, `profile "nope" not found`) {
		t.Errorf("unknown select profile: exit %d\n%s%s", code, out, errs)
	}
}
