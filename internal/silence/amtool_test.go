package silence

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

// TestAmtoolUpdateAndImport: Debian's amtool 0.25 extends a running window
// in place (silence update), and re-creates exported windows (query -o json
// piped to silence import), against the handler on loopback.
func TestAmtoolUpdateAndImport(t *testing.T) {
	t.Parallel()
	// amtool import skips windows already over by the real clock.
	now := time.Now().Truncate(time.Second)
	srv, set, _ := startAPIAt(t, now)
	cfg := filepath.Join(t.TempDir(), "http.yml")
	if err := os.WriteFile(cfg, []byte("authorization:\n  type: Bearer\n  credentials: "+engTok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		return amtool(t, srv.URL, append([]string{"--http.config.file=" + cfg}, args...)...)
	}
	ctx := t.Context()
	id, err := set.Put(ctx, window(t, now, now.Add(time.Hour), `device="sw1"`))
	if err != nil {
		t.Fatal(err)
	}
	end := now.Add(5 * time.Hour).Format(time.RFC3339)
	// (amtool 0.25's update -q prints a pointer, so read its table.)
	if got := run("silence", "update", id, "--end="+end); !strings.Contains(got, "\n"+id+" ") || len(set.List()) != 1 {
		t.Fatalf("update answered %q; want the same id %s, changed in place", got, id)
	}
	if s, _ := set.Get(id); !s.EndsAt.Equal(now.Add(5 * time.Hour)) {
		t.Fatalf("after update: %+v", s)
	}
	exported := run("silence", "query", "-o", "json")
	bin := testutil.LookBinary(t, "amtool")
	if err := set.Expire(ctx, id); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--alertmanager.url="+srv.URL, "--http.config.file="+cfg, "silence", "import")
	cmd.Stdin = strings.NewReader(exported)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if len(set.Active()) != 1 || set.Active()[0].ID == id || set.Active()[0].MatchersString() != `device="sw1"` {
		t.Fatalf("after import: %+v (%s)", set.Active(), out)
	}
}
