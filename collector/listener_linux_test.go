package collector

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

// TestBinaryAcceptErrorsRateLimited: with no connection limit and the
// process's descriptor limit lowered under it, clients that hold
// connections make accept fail (too many open files) again and again. The
// log gets at most the rate limit's 10 lines of them; every one is counted
// in roomwatch_http_server_errors_total, and the collector answers again
// once the clients are gone.
func TestBinaryAcceptErrorsRateLimited(t *testing.T) {
	t.Parallel()
	bin := buildCollector(t)
	dir := t.TempDir()
	cfg := "rules: {files: []}\ntickets: {enabled: false}\nscrape: []\nweb: {max_connections: 0, read_header_timeout: 30s}\n"
	cfgPath := writeConfig(t, dir, cfg)
	addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	p := startBinary(t, bin, dir, "--config", cfgPath, "--data-dir", filepath.Join(dir, "data"), "--web.listen-address", addr)
	base := "http://" + addr
	testutil.WaitHTTP(t, base+"/-/ready", 30*time.Second)
	pid := p.cmd.Process.Pid
	fds, err := countFDs(pid)
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var old unix.Rlimit
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, nil, &old); err != nil {
		t.Skipf("prlimit: %v", err)
	}
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: uint64(fds + 10), Max: old.Max}, nil); err != nil {
		t.Skipf("prlimit: %v", err)
	}
	log0 := fileSize(t, p.log)

	// 100 silent connections, held for 8s: the collector accepts about 10
	// and then accept fails until they are closed.
	var conns []net.Conn
	for range 100 {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			break
		}
		conns = append(conns, c)
	}
	time.Sleep(8 * time.Second)
	for _, c := range conns {
		c.Close()
	}
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &old, nil); err != nil {
		t.Fatal(err)
	}
	testutil.WaitHTTP(t, base+"/-/ready", 60*time.Second)

	total := metricValue(t, base, "roomwatch_http_server_errors_total")
	suppressed := metricValue(t, base, "roomwatch_http_server_errors_suppressed_total")
	b, err := os.ReadFile(p.log)
	if err != nil {
		t.Fatal(err)
	}
	added := string(b[log0:])
	logged := strings.Count(added, "http server error")
	t.Logf("%d connections held; server error lines: %v counted, %v suppressed, %d logged; log grew %d bytes",
		len(conns), total, suppressed, logged, len(added))
	if total < 11 {
		t.Fatalf("roomwatch_http_server_errors_total = %v, want accept errors beyond the 10-line limit (fds %d, limit %d)", total, fds, fds+10)
	}
	if !strings.Contains(added, "too many open files") {
		t.Errorf("the log does not show the accept error:\n%s", added)
	}
	if logged > 10 {
		t.Errorf("%d server error lines logged in under a minute, want at most 10", logged)
	}
	if suppressed != total-float64(logged) {
		t.Errorf("suppressed = %v, want counted %v - logged %d", suppressed, total, logged)
	}
}
