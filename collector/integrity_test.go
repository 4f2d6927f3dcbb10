package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/testutil"
	ticketsqlite "github.com/roomwatch/roomwatch/internal/tickets/sqlite"
)

// ticketsConfig is bareConfig with tickets on (the repository's rules).
func ticketsConfig(t *testing.T) Config {
	t.Helper()
	cfg := bareConfig(t)
	cfg.Tickets.Enabled = nil
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tickets.Rules = filepath.Join(root, "rules", "fault-levels.yml")
	cfg.SLA.Dir = filepath.Join(root, "rules", "sla")
	cfg.SLA.Holidays = filepath.Join(root, "rules", "calendars", "cn-holidays.yml")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// smashPage overwrites the database's second page with garbage: the header
// stays valid, so the file still opens, but a table's root page is gone.
func smashPage(t *testing.T, path string) {
	t.Helper()
	const page = 4096 // SQLite's default page size, which every store keeps
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 2*page {
		t.Fatalf("%s is %d bytes: no second page to damage", path, len(b))
	}
	copy(b[page:2*page], bytes.Repeat([]byte("garbage!"), page/8))
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestServeRefusesDamagedDatabase: each database the stores created, with
// one page overwritten, stops NewServe with a *CorruptDBError naming the file
// and what to do, and the file is left byte for byte as it was.
func TestServeRefusesDamagedDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	create := map[string]func(path string) error{
		ticketsDBName: func(p string) error {
			s, err := ticketsqlite.Open(ctx, ticketsqlite.Options{Path: p})
			if err != nil {
				return err
			}
			return s.Close()
		},
		inspectionsName: func(p string) error {
			s, err := inspect.OpenStore(p)
			if err != nil {
				return err
			}
			return s.Close()
		},
		accountsDBName: func(p string) error {
			s, err := accounts.Open(ctx, accounts.Options{Path: p})
			if err != nil {
				return err
			}
			return s.Close()
		},
	}
	for name, mk := range create {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := ticketsConfig(t)
			path := filepath.Join(cfg.Global.DataDir, name)
			if err := mk(path); err != nil {
				t.Fatal(err)
			}
			smashPage(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			srv, err := NewServe(ctx, Options{Config: cfg, Logger: discard()})
			if err == nil {
				srv.runClosers()
				_ = srv.closeStores()
				t.Fatal("NewServe started on a damaged database")
			}
			var ce *CorruptDBError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *CorruptDBError", err)
			}
			if ce.Path != path || len(ce.Findings) == 0 {
				t.Errorf("CorruptDBError = %+v, want path %s and findings", ce, path)
			}
			msg := err.Error()
			for _, want := range []string{path, "quick_check", "restore", "backup", "untouched"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message lacks %q:\n%s", want, msg)
				}
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Error("the damaged file was changed")
			}
			t.Logf("refusal: %s", msg)
		})
	}
}

// TestCheckSQLiteHealthy: a sound database and a missing one pass.
func TestCheckSQLiteHealthy(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "inspections.db")
	if err := checkSQLite(context.Background(), p); err != nil {
		t.Fatalf("missing file: %v", err)
	}
	s, err := inspect.OpenStore(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := checkSQLite(context.Background(), p); err != nil {
		t.Fatalf("sound file: %v", err)
	}
}

// TestBinaryRefusesDamagedDatabase: the real binary, on a data directory
// whose inspections.db has a garbage page, exits 1 naming the file.
func TestBinaryRefusesDamagedDatabase(t *testing.T) {
	t.Parallel()
	bin := buildCollector(t)
	cwd := t.TempDir()
	path := filepath.Join(cwd, "data", inspectionsName)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	s, err := inspect.OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	smashPage(t, path)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t)))
	cmd.Dir = cwd
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1\n%s", err, out)
	}
	for _, want := range []string{filepath.Join("data", inspectionsName), "quick_check", "restore"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
