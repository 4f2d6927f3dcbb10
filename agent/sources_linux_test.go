package agent

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestFixtureSources runs the Linux sources that read /proc and /sys against
// the fake tree in testdata/root and compares the exposition with
// testdata/fixture.golden.prom (go test ./agent -run Fixture -update rewrites it).
func TestFixtureSources(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Labels = Labels{"site": "county-hq"}
	cfg.Watch = []WatchRule{
		{Name: "init", Process: "systemd"},
		{Name: "myapp", Cmdline: mustRegexp(`myapp .*--serve`)},
		{Name: "pg", Process: "postgresql-server"}, // longer than the 15 bytes Linux keeps
		{Name: "pg-truncated-wrong", Process: "postgresql-serverX"},
		{Name: "nginx", Process: "nginx"},
	}
	var table []sourceSpec
	for _, s := range sourceTable() {
		switch s.name {
		case "cpu", "loadavg", "memory", "diskio", "netdev", "process", "sensors":
			table = append(table, s)
		}
	}
	opts := Options{Config: cfg, Clock: clockwork.NewFakeClock(), sources: table, root: "testdata/root"}
	opts.defaults()
	reg, err := newRegistry(&opts)
	if err != nil {
		t.Fatal(err)
	}
	got := gatherText(t, reg, "node_scrape_collector_duration_seconds", "go_", "process_", "roomwatch_agent_build_info")
	golden := filepath.Join("testdata", "fixture.golden.prom")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("exposition differs from %s (run with -update after checking):\n%s", golden, got)
	}
}

// gatherText returns the text exposition of g without the families whose
// names start with one of skip (values that vary between runs).
func gatherText(t *testing.T, g prometheus.Gatherer, skip ...string) []byte {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
next:
	for _, mf := range mfs {
		for _, p := range skip {
			if len(mf.GetName()) >= len(p) && mf.GetName()[:len(p)] == p {
				continue next
			}
		}
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// TestFilesystemHungMount: a statfs that never returns (a hung NFS server)
// marks its mount with node_filesystem_device_error 1 after half the source
// timeout, the other mounts are reported, and later scrapes skip the stuck
// mount without calling statfs again until the call returns.
func TestFilesystemHungMount(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClock()
	cfg := DefaultConfig()
	release := make(chan struct{})
	calls := map[string]int{}
	callc := make(chan string, 16)
	stat := func(path string) (fsStats, error) {
		callc <- path
		if path == "/srv/nfs" {
			<-release
		}
		return fsStats{size: 1000, free: 600, avail: 500, files: 100, filesFree: 90}, nil
	}
	s := newFilesystemSourceWith(sourceEnv{cfg: &cfg, clock: clock, logger: discardLogger()},
		platformMounts("testdata/root"), stat)

	scrape := func(advance bool) map[string]float64 {
		t.Helper()
		done := make(chan *sink, 1)
		go func() {
			out := &sink{}
			if err := s.update(context.Background(), out); err != nil {
				t.Error(err)
			}
			done <- out
		}()
		if advance {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			// The timer is made after every statfs started (stuck set):
			// then wait for the healthy mounts to answer, so that only the
			// hung one is left when the timer fires.
			if err := clock.BlockUntilContext(ctx, 1); err != nil {
				t.Fatal("filesystem source never waited on its timer")
			}
			for i := 0; s.isStuck("/") || s.isStuck("/mnt/my disk"); i++ {
				if i > 10000 {
					t.Fatal("healthy statfs calls never returned")
				}
				time.Sleep(time.Millisecond)
			}
			clock.Advance(cfg.Sources.Timeout.Std() / 2)
		}
		select {
		case out := <-done:
			return sinkValues(t, out)
		case <-time.After(30 * time.Second): // a guard against a hang, not a wait for a deadline
			t.Fatal("filesystem source blocked past its timeout")
			return nil
		}
	}

	got := scrape(true)
	for path, want := range map[string]float64{
		`node_filesystem_device_error{device="10.0.0.5:/export",fstype="nfs4",mountpoint="/srv/nfs"}`: 1,
		`node_filesystem_device_error{device="/dev/vda",fstype="ext4",mountpoint="/"}`:                0,
		`node_filesystem_size_bytes{device="/dev/vda",fstype="ext4",mountpoint="/"}`:                  1000,
		`node_filesystem_avail_bytes{device="/dev/sdb1",fstype="ext4",mountpoint="/mnt/my disk"}`:     500,
		`node_filesystem_readonly{device="/dev/sdb1",fstype="ext4",mountpoint="/mnt/my disk"}`:        1,
		`node_filesystem_readonly{device="10.0.0.5:/export",fstype="nfs4",mountpoint="/srv/nfs"}`:     0,
	} {
		if v, ok := got[path]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v; got %v", path, v, ok, want, got)
		}
	}
	if _, ok := got[`node_filesystem_size_bytes{device="10.0.0.5:/export",fstype="nfs4",mountpoint="/srv/nfs"}`]; ok {
		t.Error("the hung mount has a size")
	}
	if _, ok := got[`node_filesystem_readonly{device="proc",fstype="proc",mountpoint="/proc"}`]; ok {
		t.Error("proc is not excluded")
	}
	drain := func() {
		for {
			select {
			case p := <-callc:
				calls[p]++
			default:
				return
			}
		}
	}
	drain()
	if calls["/srv/nfs"] != 1 {
		t.Fatalf("statfs calls on the hung mount = %d, want 1", calls["/srv/nfs"])
	}

	// Second scrape: the stuck mount is skipped, no new statfs on it, and
	// the rest does not wait for the timer.
	got = scrape(false)
	drain()
	if calls["/srv/nfs"] != 1 {
		t.Errorf("statfs called again on a stuck mount (%d calls)", calls["/srv/nfs"])
	}
	if got[`node_filesystem_device_error{device="10.0.0.5:/export",fstype="nfs4",mountpoint="/srv/nfs"}`] != 1 {
		t.Error("stuck mount not reported as device error on the second scrape")
	}

	// Once the server answers, the mount is checked again.
	close(release)
	for i := 0; s.isStuck("/srv/nfs"); i++ {
		if i > 10000 {
			t.Fatal("mount still stuck after statfs returned")
		}
		time.Sleep(time.Millisecond)
	}
	got = scrape(false)
	if got[`node_filesystem_size_bytes{device="10.0.0.5:/export",fstype="nfs4",mountpoint="/srv/nfs"}`] != 1000 {
		t.Errorf("recovered mount not reported: %v", got)
	}
}
