package collector

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

// TestDataDirLock: a second Acquire on a held directory fails with a
// LockedError naming the holder; after Release it succeeds again.
func TestDataDirLock(t *testing.T) {
	t.Parallel()
	d := DataDir{Root: filepath.Join(t.TempDir(), "data")}
	l, err := d.Acquire(Holder{Command: "serve", Listen: "127.0.0.1:9120"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Acquire(Holder{Command: "inspect run"})
	var locked *LockedError
	if !errors.As(err, &locked) || !errors.Is(err, ErrLocked) {
		t.Fatalf("second Acquire: %v, want a LockedError", err)
	}
	if locked.Holder.PID != os.Getpid() || locked.Holder.Command != "serve" || locked.Holder.Listen != "127.0.0.1:9120" {
		t.Errorf("holder %+v, want this process's serve on 127.0.0.1:9120", locked.Holder)
	}
	if !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("message %q does not name the pid", err)
	}
	l.setListen("127.0.0.1:4242")
	if h, err := d.Holder(); err != nil || h.Listen != "127.0.0.1:4242" {
		t.Errorf("after setListen: %+v %v", h, err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := d.Acquire(Holder{Command: "report"})
	if err != nil {
		t.Fatalf("after Release: %v", err)
	}
	l2.Release()
}

// TestSecondWriterRefused: with one roomwatch-collector serving a data
// directory, a second serve on it (another port, another TSDB path, so only
// roomwatch's own lock can stop it), an in-process inspection and a
// completion are refused with a message naming the running process; a
// report still works, reading through the running collector.
func TestSecondWriterRefused(t *testing.T) {
	t.Parallel()
	bin := buildCollector(t)
	cwd := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	p := startBinary(t, bin, cwd, "--web.listen-address", addr)
	testutil.WaitHTTP(t, "http://"+addr+"/-/ready", 30*time.Second)
	pid := strconv.Itoa(p.cmd.Process.Pid)

	refused := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = cwd
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("%s: %v, want exit 1\n%s", name, err, out)
		}
		for _, want := range []string{"is in use by roomwatch-collector serve (pid " + pid, "listening on " + addr} {
			if !strings.Contains(string(out), want) {
				t.Errorf("%s: output lacks %q:\n%s", name, want, out)
			}
		}
	}
	second := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	refused("second serve", "--web.listen-address", second, "--storage.path", filepath.Join(t.TempDir(), "tsdb"))
	refused("inspect complete", "inspect", "complete", "1", "--device", "d", "--item", "i", "--verdict", "normal", "--user", "u")
	refused("inspect sign", "inspect", "sign", "1", "--role", "engineer", "--user", "u")

	cmd := exec.Command(bin, "report", "assets", "--out", t.TempDir(), "--format", "html")
	cmd.Dir = cwd
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("report while serving: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "querying http://"+addr) {
		t.Errorf("report did not read through the running collector:\n%s", out)
	}
}

// TestReadOnlyToolWritesNothing: a tool that only reads, pointed at a data
// directory that does not exist, creates neither the directory nor a lock.
func TestReadOnlyToolWritesNothing(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Global.DataDir = filepath.Join(t.TempDir(), "absent")
	st, err := OpenStores(t.Context(), &cfg, StoresOptions{Mode: ReadOnly, Command: "report"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Tickets != nil || st.Inspections != nil || st.TSDB != nil {
		t.Errorf("stores opened from nothing: %+v", st)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cfg.Global.DataDir); !os.IsNotExist(err) {
		t.Errorf("data directory created: %v", err)
	}
}
