package collector

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"

	"github.com/roomwatch/roomwatch/internal/store"
)

// writeTestBlock writes one hour of one series as a block under tsdbDir and
// returns the block's directory.
func writeTestBlock(t *testing.T, tsdbDir string, start time.Time) string {
	t.Helper()
	before, _ := os.ReadDir(tsdbDir)
	err := store.WriteBlock(context.Background(), tsdbDir, start, 60, time.Minute, func(app storage.Appender, ts time.Time) error {
		_, err := app.Append(0, labels.FromStrings("__name__", "damage_test", "job", "t"), ts.UnixMilli(), 1)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadDir(tsdbDir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range before {
		seen[e.Name()] = true
	}
	for _, e := range after {
		if _, err := ulid.ParseStrict(e.Name()); err == nil && !seen[e.Name()] {
			return filepath.Join(tsdbDir, e.Name())
		}
	}
	t.Fatal("WriteBlock made no block directory")
	return ""
}

func httpGet(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestServeReportsBlockWithGarbageMeta: Prometheus's TSDB skips a block whose
// meta.json does not parse (it does not fail the open); serve names the block
// on /-/ready (still 200) and counts it in roomwatch_tsdb_blocks_unreadable,
// and a sound block beside it is loaded and not reported.
func TestServeReportsBlockWithGarbageMeta(t *testing.T) {
	t.Parallel()
	cfg := bareConfig(t)
	tsdbDir := NewDataDir(&cfg).TSDB()
	if err := os.MkdirAll(tsdbDir, 0o750); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-6 * time.Hour).Truncate(2 * time.Hour)
	good := writeTestBlock(t, tsdbDir, start)
	bad := writeTestBlock(t, tsdbDir, start.Add(2*time.Hour))
	if err := os.WriteFile(filepath.Join(bad, "meta.json"), []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}

	srv, base := startServeWith(t, Options{Config: cfg, Logger: discard()})
	var loaded []string
	for _, b := range srv.Store().DB().Blocks() {
		loaded = append(loaded, b.Dir())
	}
	if len(loaded) != 1 || loaded[0] != good {
		t.Errorf("loaded blocks %v, want only %s", loaded, good)
	}

	var code int
	var body string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if code, body = httpGet(t, base+"/-/ready"); code == http.StatusOK {
			break
		}
	}
	if code != http.StatusOK {
		t.Fatalf("/-/ready = %d %q, want 200", code, body)
	}
	if !strings.Contains(body, "warning:") || !strings.Contains(body, bad) || !strings.Contains(body, "meta.json does not parse") {
		t.Errorf("/-/ready does not name the bad block %s:\n%s", bad, body)
	}
	if strings.Contains(body, good) {
		t.Errorf("/-/ready names the sound block %s:\n%s", good, body)
	}
	_, metrics := httpGet(t, base+"/metrics")
	if !strings.Contains(metrics, "\nroomwatch_tsdb_blocks_unreadable 1\n") {
		t.Errorf("/metrics lacks roomwatch_tsdb_blocks_unreadable 1")
	}
}

// TestServeNoBlockWarningWhenSound: sound blocks leave /-/ready without a
// TSDB warning and the gauge at 0.
func TestServeNoBlockWarningWhenSound(t *testing.T) {
	t.Parallel()
	cfg := bareConfig(t)
	tsdbDir := NewDataDir(&cfg).TSDB()
	if err := os.MkdirAll(tsdbDir, 0o750); err != nil {
		t.Fatal(err)
	}
	writeTestBlock(t, tsdbDir, time.Now().Add(-6*time.Hour).Truncate(2*time.Hour))
	base := startServe(t, cfg)
	var code int
	var body string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if code, body = httpGet(t, base+"/-/ready"); code == http.StatusOK {
			break
		}
	}
	if code != http.StatusOK || strings.Contains(body, "TSDB block") {
		t.Errorf("/-/ready = %d %q, want 200 without a block warning", code, body)
	}
	_, metrics := httpGet(t, base+"/metrics")
	if !strings.Contains(metrics, "\nroomwatch_tsdb_blocks_unreadable 0\n") {
		t.Errorf("/metrics lacks roomwatch_tsdb_blocks_unreadable 0")
	}
}

// TestServeNamesBlockThatFailsTheTSDB: a block whose meta.json parses but
// whose index is garbage makes Prometheus's TSDB refuse to open at all; serve
// then names the block and says to move it aside.
func TestServeNamesBlockThatFailsTheTSDB(t *testing.T) {
	t.Parallel()
	cfg := bareConfig(t)
	tsdbDir := NewDataDir(&cfg).TSDB()
	if err := os.MkdirAll(tsdbDir, 0o750); err != nil {
		t.Fatal(err)
	}
	bad := writeTestBlock(t, tsdbDir, time.Now().Add(-6*time.Hour).Truncate(2*time.Hour))
	if err := os.WriteFile(filepath.Join(bad, "index"), []byte(strings.Repeat("garbage!", 512)), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := NewServe(context.Background(), Options{Config: cfg, Logger: discard()})
	if err == nil {
		srv.runClosers()
		_ = srv.closeStores()
		t.Fatal("NewServe opened a TSDB with a damaged block")
	}
	var be *BrokenBlocksError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v, want a *BrokenBlocksError", err)
	}
	if len(be.Blocks) != 1 || be.Blocks[0].Dir != bad {
		t.Errorf("blocks %+v, want only %s", be.Blocks, bad)
	}
	for _, want := range []string{bad, "move", "restore"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q:\n%s", want, err)
		}
	}
	t.Logf("refusal: %v", err)
}
