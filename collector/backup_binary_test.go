package collector

import (
	"bytes"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

func countRows(t *testing.T, path, table string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBinaryBackupRestore: a serving collector under write load (remote
// writes and alerts) is backed up through `backup` (which asks it over the
// admin API); the backup restores into a fresh data directory, a collector
// starts on it, and the chains verify and the counts match the backup.
func TestBinaryBackupRestore(t *testing.T) {
	t.Parallel()
	bin := buildCollector(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	const token = "backup-test-admin-token-0123456789"
	cfgPath := writeConfig(t, dir, fmt.Sprintf("global: {data_dir: %q}\nrules: {files: []}\nscrape: []\n"+
		"auth: {tokens: [{name: root, token: %q, role: admin}], intake: {open_on_loopback: true}}\n", data, token))
	addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	p := startBinary(t, bin, dir, "--config", cfgPath, "--web.listen-address", addr)
	base := "http://" + addr
	testutil.WaitHTTP(t, base+"/-/ready", 30*time.Second)

	var stop atomic.Bool
	var wg sync.WaitGroup
	var acked atomic.Int64
	end := time.Now()
	wg.Add(2)
	go func() { // samples
		defer wg.Done()
		for b := 1; !stop.Load() && b < 2000; b++ {
			if writeBatch(t, base, b, 100, end) == http.StatusNoContent {
				acked.Add(100)
			}
		}
	}()
	go func() { // tickets and their events
		defer wg.Done()
		for i := 0; !stop.Load() && i < 500; i++ {
			body := fmt.Sprintf(`[{"labels":{"alertname":"DeviceDown","device":"dev-%d"}}]`, i)
			resp, err := http.Post(base+"/api/v2/alerts", "application/json", strings.NewReader(body))
			if err == nil {
				resp.Body.Close()
			}
		}
	}()
	time.Sleep(2 * time.Second)
	before := acked.Load()
	out := filepath.Join(t.TempDir(), "backup")
	code, stdout, stderr := runTool(t, bin, dir, "backup", "--config", cfgPath, "--out", out, "--token", token)
	after := acked.Load()
	stop.Store(true)
	wg.Wait()
	if code != 0 {
		t.Fatalf("backup: %d\n%s\n%s", code, stdout, stderr)
	}
	for _, f := range []string{ticketsDBName, inspectionsName, accountsDBName, "tsdb", "integrity.key", "agents.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil && f != "agents.json" {
			t.Errorf("backup lacks %s: %v", f, err)
		}
	}
	if code, _, stderr := runTool(t, bin, dir, "restore", "--from", out, "--data-dir", data); code != 1 || !strings.Contains(stderr, "not empty") {
		t.Errorf("restore onto the serving data directory: %d %s", code, stderr)
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	_ = p.cmd.Wait()

	ndir := t.TempDir()
	ndata := filepath.Join(ndir, "data")
	if code, _, stderr := runTool(t, bin, ndir, "restore", "--from", out, "--data-dir", ndata); code != 0 {
		t.Fatalf("restore: %d %s", code, stderr)
	}
	for _, c := range []struct{ db, table string }{{ticketsDBName, "tickets"}, {ticketsDBName, "events"}, {ticketsDBName, "audit_log"}, {inspectionsName, "entries"}} {
		if got, want := countRows(t, filepath.Join(ndata, c.db), c.table), countRows(t, filepath.Join(out, c.db), c.table); got != want || want == 0 && c.table != "entries" {
			t.Errorf("%s: %d restored, %d in the backup", c.table, got, want)
		}
	}
	ncfg := writeConfig(t, ndir, fmt.Sprintf("global: {data_dir: %q}\nrules: {files: []}\nscrape: []\n", ndata))
	naddr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	np := startBinary(t, bin, ndir, "--config", ncfg, "--web.listen-address", naddr)
	nbase := "http://" + naddr
	testutil.WaitHTTP(t, nbase+"/-/ready", 30*time.Second)
	samples := instantValueAt(t, nbase, `sum(count_over_time(fill_test[1h]))`, end)
	if samples < float64(before) || samples > float64(after) {
		t.Errorf("restored samples %v, want between %d (acknowledged before the backup) and %d (after)", samples, before, after)
	}
	_ = np.cmd.Process.Signal(os.Interrupt)
	_ = np.cmd.Wait()
	if code, out, errs := runTool(t, bin, ndir, "verify", "--config", ncfg); code != 0 {
		t.Errorf("verify the restored chains: %d\n%s\n%s", code, out, errs)
	} else {
		t.Logf("restored: %v samples (%d acknowledged before the backup, %d after); %s", samples, before, after, bytes.TrimSpace([]byte(errs)))
	}
}
