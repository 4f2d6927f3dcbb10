package cli

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/config"
	"github.com/roomwatch/roomwatch/internal/roster"
)

const (
	cliRosterViewer  = "cli-roster-viewer-0001"
	cliRosterManager = "cli-roster-manager-001"
)

type cliRosterFile struct {
	Roster roster.Config `yaml:"roster"`
}

func (f *cliRosterFile) Validate() error { return f.Roster.Validate() }

// startRosterAPI serves the real roster API on loopback over a fresh store.
func startRosterAPI(t *testing.T, clk clockwork.Clock) string {
	t.Helper()
	ctx := context.Background()
	var f cliRosterFile
	if err := config.Decode("collector.yml", []byte("roster:\n  weekly:\n    daily: {engineer: [zhangsan], project_manager: [wangpm]}\n    sunday: {engineer: [lisi]}\n"), &f); err != nil {
		t.Fatal(err)
	}
	st, err := roster.OpenStore(ctx, filepath.Join(t.TempDir(), roster.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	loc, _ := time.LoadLocation("Asia/Shanghai")
	r, err := roster.New(ctx, roster.Options{Config: f.Roster, Location: loc, Store: st, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(auth.Config{Tokens: []auth.Token{{Name: "duty", Token: cliRosterViewer, Role: auth.RoleViewer},
		{Name: "pm.wang", Token: cliRosterManager, Role: auth.RoleManager}}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := roster.NewAPI(roster.APIOptions{Roster: r, Auth: a})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestRosterCommand(t *testing.T) {
	t.Parallel()
	clk := clockwork.NewFakeClockAt(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)) // Monday 08:00 in Shanghai: Sunday's shift
	u := startRosterAPI(t, clk)
	view, mgr := "--token="+cliRosterViewer, "--token="+cliRosterManager
	steps := []struct {
		name    string
		args    []string
		code    int
		want    []string // in stdout
		wantErr string   // in stderr
	}{
		{"the week", []string{"roster", "show", "--url", u, view}, 0,
			[]string{"* ", "2026-12-06", "12-06 08:30–12-07 08:30", "lisi", "2026-12-12", "zhangsan", "wangpm", "交接班 handover 08:30 (Asia/Shanghai)"}, ""},
		{"one day", []string{"roster", "show", "--url", u, view, "--date", "2026-12-08"}, 0, []string{"2026-12-08", "zhangsan"}, ""},
		{"bad date", []string{"roster", "show", "--url", u, view, "--date", "12/08"}, 2, nil, "--date"},
		{"a viewer may not add", []string{"roster", "override", "add", "--url", u, view, "--from", "2026-12-08", "--user", "lisi"}, 1, nil, "403"},
		{"a manager adds", []string{"roster", "override", "add", "--url", u, mgr, "--from", "2026-12-08", "--to", "2026-12-09",
			"--user", "lisi,zhaoliu", "--reason", "重大活动保障"}, 0, []string{"1"}, ""},
		{"no user", []string{"roster", "override", "add", "--url", u, mgr, "--from", "2026-12-08"}, 2, nil, "--user is required"},
		{"list", []string{"roster", "override", "list", "--url", u, view}, 0,
			[]string{"2026-12-08", "2026-12-09", "engineer", "lisi, zhaoliu", "重大活动保障", "api", "pm.wang"}, ""},
		{"show the override", []string{"roster", "show", "--url", u, view, "--date", "2026-12-09"}, 0, []string{"lisi, zhaoliu [#1]"}, ""},
		{"remove", []string{"roster", "override", "remove", "--url", u, mgr, "1"}, 0, []string{"已删除 removed #1"}, ""},
		{"remove again", []string{"roster", "override", "remove", "--url", u, mgr, "1"}, 1, nil, "no such override"},
		{"empty list", []string{"roster", "override", "list", "--url", u, view}, 0, []string{"无临时调整"}, ""},
		{"unknown", []string{"roster", "swap"}, 2, nil, "unknown subcommand"},
	}
	for _, s := range steps {
		code, out, errs := runSilenceCLI(t, clk, s.args...)
		if code != s.code {
			t.Errorf("%s: exit %d, want %d\nstdout %s\nstderr %s", s.name, code, s.code, out, errs)
			continue
		}
		for _, w := range s.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: stdout lacks %q:\n%s", s.name, w, out)
			}
		}
		if s.wantErr != "" && !strings.Contains(errs, s.wantErr) {
			t.Errorf("%s: stderr lacks %q:\n%s", s.name, s.wantErr, errs)
		}
	}
}
