package collector

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/config"
	"github.com/roomwatch/roomwatch/internal/testutil"
	"github.com/roomwatch/roomwatch/internal/web"
)

func TestWebConfig(t *testing.T) {
	t.Parallel()
	bad := []struct{ yaml, want string }{
		{"web:\n  listen_address: :9120\n  max_connections: -1\n", "c.yml:3: web.max_connections -1 must not be negative"},
		{"web:\n  read_timeout: -5s\n", "c.yml:2:"},
		{"web:\n  idle_timeout: soon\n", "c.yml:2:"},
		{"web:\n  max_conections: 5\n", "c.yml:2:"},
	}
	for _, tt := range bad {
		c := DefaultConfig()
		err := config.Decode("c.yml", []byte(tt.yaml), &c)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.yaml, err, tt.want)
		}
	}
	c := DefaultConfig()
	c.Web.ReadTimeout = -1
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "web.read_timeout must not be negative") {
		t.Errorf("negative read_timeout set in code: err = %v", err)
	}
	good := []struct {
		yaml string
		want web.ServerOptions
	}{
		{"", web.ServerOptions{MaxConnections: 512, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute}},
		{"web:\n  max_connections: 0\n  read_timeout: 5m\n", web.ServerOptions{MaxConnections: 0, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute}},
	}
	for _, tt := range good {
		c := DefaultConfig()
		if err := config.Decode("c.yml", []byte(tt.yaml), &c); err != nil {
			t.Fatalf("%q: %v", tt.yaml, err)
		}
		if got := c.Web.ServerOptions(); got != tt.want {
			t.Errorf("%q: %+v, want %+v", tt.yaml, got, tt.want)
		}
	}
}

// TestBinarySlowClients: 200 clients that send their headers or body a
// byte at a time cannot take the collector down. With web.max_connections
// 20 and short read timeouts, the server closes each of them, its open
// descriptors stay near the limit, the log does not grow, and /-/ready
// answers a fresh connection throughout and promptly afterwards.
func TestBinarySlowClients(t *testing.T) {
	t.Parallel()
	bin := buildCollector(t)
	dir := t.TempDir()
	const limit, slow = 20, 200
	cfg := fmt.Sprintf("rules: {files: []}\ntickets: {enabled: false}\nscrape: []\n"+
		"web: {max_connections: %d, read_header_timeout: 1s, read_timeout: 2s, idle_timeout: 2s}\n", limit)
	cfgPath := writeConfig(t, dir, cfg)
	addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	p := startBinary(t, bin, dir, "--config", cfgPath, "--data-dir", filepath.Join(dir, "data"), "--web.listen-address", addr)
	base := "http://" + addr
	testutil.WaitHTTP(t, base+"/-/ready", 30*time.Second)
	pid := p.cmd.Process.Pid
	fds0, err := countFDs(pid)
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	log0 := fileSize(t, p.log)

	// Sample the process's descriptors while the slow clients run.
	var maxFDs atomic.Int64
	sampleCtx, stopSampling := context.WithCancel(context.Background())
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for sampleCtx.Err() == nil {
			if n, err := countFDs(pid); err == nil && int64(n) > maxFDs.Load() {
				maxFDs.Store(int64(n))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()

	// Each slow client trickles a byte every 100ms for at most 90s; half
	// never finish their headers, half send headers and then a slow body.
	const bound = 90 * time.Second
	var wg, started sync.WaitGroup
	var closedByServer atomic.Int64
	for i := range slow {
		wg.Add(1)
		started.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", addr, 10*time.Second)
			started.Done()
			if err != nil {
				closedByServer.Add(1) // refused is fine too
				return
			}
			defer c.Close()
			head := "GET /-/ready HTTP/1.1\r\nHost: x\r\n"
			if i%2 == 1 {
				head = "POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\nContent-Length: 1000000\r\n\r\n"
			}
			if _, err := c.Write([]byte(head)); err != nil {
				closedByServer.Add(1)
				return
			}
			done := make(chan struct{})
			go func() { _, _ = io.Copy(io.Discard, c); close(done) }()
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			end := time.After(bound)
			for {
				select {
				case <-done:
					closedByServer.Add(1)
					return
				case <-end:
					return
				case <-tick.C:
					if _, err := c.Write([]byte("X")); err != nil {
						closedByServer.Add(1)
						return
					}
				}
			}
		}()
	}

	// Under the attack, a fresh connection is answered: it waits its turn in
	// the accept queue behind the slow ones, which the read timeouts cut.
	started.Wait()
	start := time.Now()
	testutil.WaitHTTP(t, base+"/-/ready", bound)
	t.Logf("/-/ready under %d slow clients answered after %v", slow, time.Since(start).Round(time.Millisecond))

	wg.Wait()
	stopSampling()
	<-sampled
	if n := closedByServer.Load(); n != slow {
		t.Errorf("the server closed %d of %d slow clients within %v; want all (read timeouts)", n, slow, bound)
	}
	// After them, /-/ready answers a fresh connection promptly.
	start = time.Now()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(base + "/-/ready")
	if err != nil {
		t.Fatalf("/-/ready after the slow clients: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/-/ready after the slow clients: HTTP %d", resp.StatusCode)
	}
	t.Logf("/-/ready after the slow clients: %v", time.Since(start).Round(time.Millisecond))

	peak := maxFDs.Load()
	t.Logf("open fds: %d before, at most %d during %d slow clients (limit %d)", fds0, peak, slow, limit)
	if peak > int64(fds0+limit+20) {
		t.Errorf("open fds reached %d, want at most %d before + %d connections + 20", peak, fds0, limit)
	}
	grown := fileSize(t, p.log) - log0
	t.Logf("log grew %d bytes", grown)
	if grown > 64<<10 {
		t.Errorf("the log grew %d bytes during the slow clients, want at most 64 KiB", grown)
	}

}

// countFDs returns the number of open descriptors of process pid (Linux).
func countFDs(pid int) (int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(ents), err
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
