package cli

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/silence"
)

const cliSilenceToken = "cli-silence-engineer-01"

// startSilenceAPI serves the real silence API on loopback over a fresh store.
func startSilenceAPI(t *testing.T, clk clockwork.Clock) string {
	t.Helper()
	ctx := context.Background()
	st, err := silence.OpenStore(ctx, filepath.Join(t.TempDir(), "silences.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	set, err := silence.NewSet(ctx, silence.Options{Store: st, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(auth.Config{Tokens: []auth.Token{{Name: "li.gong", Token: cliSilenceToken, Role: auth.RoleEngineer}}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := silence.NewAPI(silence.APIOptions{Set: set, Auth: a, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func runSilenceCLI(t *testing.T, clk clockwork.Clock, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), Env{Stdout: &out, Stderr: &errb, Clock: clk}, args)
	return code, out.String(), errb.String()
}

func TestSilenceCommand(t *testing.T) {
	t.Parallel()
	clk := clockwork.NewFakeClockAt(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
	u := startSilenceAPI(t, clk)
	tok := "--token=" + cliSilenceToken
	code, out, errs := runSilenceCLI(t, clk, "silence", "add", "--url", u, tok, `device="core-sw-01"`, `site=~"城关.*"`,
		"--comment", "核心交换机固件升级", "--author", "li.gong", "--start", "2026-03-02 22:00", "--duration", "2h")
	if code != 0 {
		t.Fatalf("add: %d %s", code, errs)
	}
	id := strings.TrimSpace(out)
	code, out, errs = runSilenceCLI(t, clk, "silence", "list", "--url", u, tok)
	if code != 0 {
		t.Fatalf("list: %d %s", code, errs)
	}
	for _, want := range []string{id, "未开始 pending", `device="core-sw-01" site=~"城关.*"`, "2026-03-02 22:00", "2026-03-03 00:00", "li.gong", "核心交换机固件升级"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	if _, out, _ = runSilenceCLI(t, clk, "silence", "list", "--url", u, tok, `device="other"`); !strings.Contains(out, "无维护窗口") {
		t.Errorf("filtered list: %s", out)
	}
	if code, out, errs = runSilenceCLI(t, clk, "silence", "expire", "--url", u, tok, id); code != 0 || !strings.Contains(out, id) {
		t.Fatalf("expire: %d %s %s", code, out, errs)
	}
	if _, out, _ = runSilenceCLI(t, clk, "silence", "list", "--url", u, tok, "--expired"); !strings.Contains(out, "已结束 expired") {
		t.Errorf("list --expired: %s", out)
	}

	tests := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"no comment", []string{"add", "--url", u, tok, "device=a", "--duration", "1h"}, 2, "--comment"},
		{"no end", []string{"add", "--url", u, tok, "device=a", "--comment", "x"}, 2, "--end or --duration"},
		{"bad matcher", []string{"add", "--url", u, tok, "device", "--comment", "x", "--duration", "1h"}, 2, "want name=value"},
		{"matches everything", []string{"add", "--url", u, tok, `device=~".*"`, "--comment", "x", "--duration", "1h"}, 1, "match every alert"},
		{"no token", []string{"add", "--url", u, "device=a", "--comment", "x", "--duration", "1h"}, 1, "--token"},
		{"expire twice", []string{"expire", "--url", u, tok, id}, 1, "already expired"},
		{"unknown subcommand", []string{"mute"}, 2, "unknown subcommand"},
	}
	for _, tc := range tests {
		code, _, errs := runSilenceCLI(t, clk, append([]string{"silence"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errs, tc.contains) {
			t.Errorf("%s: exit %d, stderr %q; want %d containing %q", tc.name, code, errs, tc.code, tc.contains)
		}
	}
}
