package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
)

func runUserCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := userMain(context.Background(), Env{Stdout: &out, Stderr: &errb}, strings.NewReader(stdin), args)
	return code, out.String(), errb.String()
}

func TestUserCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // created by the first add
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	steps := []struct {
		stdin string
		args  []string
		code  int
		out   string // in stdout (code 0) or stderr
	}{
		{"", []string{"list", "--data-dir", dir}, 1, "no account database"},
		{"Initial-Pass-2024\n", []string{"add", "root", "--role", "admin", "--password-stdin", "--data-dir", dir, "--audit-file", audit, "--display-name", "王管理", "--phone", "13800000000"}, 0, "added root (admin)"},
		{"Initial-Pass-2024\r\n", []string{"add", "zhangsan", "--role", "engineer", "--sites", "county-a, county-b", "--password-stdin", "--data-dir", dir}, 0, "added zhangsan"},
		{"Initial-Pass-2024\n", []string{"add", "ROOT", "--role", "viewer", "--password-stdin", "--data-dir", dir}, 1, "already exists"},
		{"Initial-Pass-2024\n", []string{"add", "x", "--role", "boss", "--password-stdin", "--data-dir", dir}, 2, "unknown role"},
		{"Initial-Pass-2024\n", []string{"add", "a b", "--role", "viewer", "--password-stdin", "--data-dir", dir}, 2, "invalid user name"},
		{"", []string{"add", "x", "--role", "viewer", "--data-dir", dir}, 2, "--password-stdin"},
		{"", []string{"add", "x", "--role", "viewer", "--password-stdin", "--data-dir", dir}, 2, "no password on standard input"},
		{"weak\n", []string{"add", "x", "--role", "viewer", "--password-stdin", "--data-dir", dir}, 2, "too short"},
		{"", []string{"add", "--data-dir", dir}, 2, "want 1 argument"},
		{"", []string{"frobnicate"}, 2, "unknown subcommand"},
		{"", nil, 2, "Usage"},
		{"", []string{"list", "--data-dir", dir}, 0, "zhangsan  -             engineer  must-change-password"},
		{"", []string{"disable", "zhangsan", "--data-dir", dir, "--audit-file", audit}, 0, "disabled zhangsan"},
		{"", []string{"disable", "nobody", "--data-dir", dir}, 1, "no such user"},
		{"", []string{"list", "--data-dir", dir}, 0, "disabled"},
		{"", []string{"enable", "zhangsan", "--data-dir", dir}, 0, "enabled zhangsan"},
		{"Reset-Password-77\n", []string{"passwd", "zhangsan", "--password-stdin", "--data-dir", dir, "--audit-file", audit}, 0, "reset"},
	}
	for i, s := range steps {
		code, out, errs := runUserCmd(t, s.stdin, s.args...)
		where := out
		if code != 0 {
			where = errs
		}
		if code != s.code || !strings.Contains(where, s.out) {
			t.Fatalf("step %d %v: exit %d, want %d with %q\nstdout: %s\nstderr: %s", i, s.args, code, s.code, s.out, out, errs)
		}
	}
	// What the commands wrote is what the console will read.
	st, err := accounts.Open(context.Background(), accounts.Options{Path: filepath.Join(dir, accounts.FileName)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.Get(context.Background(), "zhangsan")
	if err != nil || u.Role != auth.RoleEngineer || u.Disabled || !u.MustChangePassword || strings.Join(u.Sites, "|") != "county-a|county-b" {
		t.Fatalf("zhangsan = %+v, %v", u, err)
	}
	if _, err := st.Login(context.Background(), "zhangsan", "Reset-Password-77", ""); err != nil {
		t.Fatalf("login with the reset password: %v", err)
	}
	if ok, _ := st.HasActiveAdmin(context.Background()); !ok {
		t.Fatal("no admin after user add --role admin")
	}
	b, err := os.ReadFile(audit)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e accounts.Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		if !strings.HasPrefix(e.Actor, "cli") {
			t.Errorf("audit actor %q", e.Actor)
		}
		kinds = append(kinds, e.Kind+":"+e.User)
	}
	if got := strings.Join(kinds, ","); got != "user_add:root,user_disable:zhangsan,password_reset:zhangsan" {
		t.Errorf("audit = %s", got)
	}
}

func TestUserRegistered(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main(context.Background(), Env{Stdout: &out, Stderr: &errb}, []string{"help"}); code != 0 || !strings.Contains(out.String(), "user ") {
		t.Fatalf("help: %d\n%s", code, out.String())
	}
	if code := Main(context.Background(), Env{Stdout: &out, Stderr: &errb}, []string{"user"}); code != 2 || !strings.Contains(errb.String(), "user add NAME") && !strings.Contains(errb.String(), "add NAME") {
		t.Fatalf("user without subcommand: %d\n%s", code, errb.String())
	}
}

func TestWarnIfNoAdmin(t *testing.T) {
	dir := t.TempDir()
	st, err := accounts.Open(context.Background(), accounts.Options{Path: filepath.Join(dir, accounts.FileName)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var buf bytes.Buffer
	log := newTextLogger(&buf)
	if err := st.WarnIfNoAdmin(context.Background(), log, dir); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "roomwatch-collector user add NAME --role admin --password-stdin --data-dir "+dir) {
		t.Fatalf("hint: %s", buf.String())
	}
}

func newTextLogger(w *bytes.Buffer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// TestUserPasswordPolicyFromConfig: the console section's password policy
// applies to the user command too, and a policy weaker than a review
// accepts is a configuration error (exit 2, with the line).
func TestUserPasswordPolicyFromConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	strict := write("strict.yml", "global: {data_dir: "+filepath.Join(dir, "data")+"}\nconsole:\n  password: {min_length: 16, min_classes: 4}\n")
	weak := write("weak.yml", "global: {data_dir: "+filepath.Join(dir, "data")+"}\nconsole:\n  password: {min_length: 6}\n")
	tests := []struct {
		name, cfg, password string
		code                int
		want                string
	}{
		{"12 characters under a 16-character policy", strict, "Initial-Pass-24\n", 2, "too short"},
		{"three classes under a four-class policy", strict, "initial-pass-2024-ok\n", 2, "password"},
		{"meets the strict policy", strict, "Initial-Pass-2024-Ok\n", 0, "added"},
		{"a 6-character policy is refused", weak, "Initial-Pass-2024\n", 2, "min_length 6: at least 8"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runUserCmd(t, tc.password, "add", fmt.Sprintf("u%d", i), "--role", "viewer", "--password-stdin", "--config", tc.cfg)
			if code != tc.code || !strings.Contains(out+errs, tc.want) {
				t.Errorf("exit %d, out %q, err %q; want %d and %q", code, out, errs, tc.code, tc.want)
			}
		})
	}
}
