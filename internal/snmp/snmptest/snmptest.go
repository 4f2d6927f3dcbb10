// Package snmptest starts SNMP agents on loopback for tests: the real snmpsimd
// (Debian snmpsim 0.4.5) serving .snmprec recordings, the real net-snmp snmpd
// (for SNMPv3), and Responder, a small in-process agent built on gosnmp's
// packet encoding that serves recordings (or deliberately odd values) from
// memory, for garbage-value tests and load tests with thousands of devices.
package snmptest

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

// StartSnmpsim serves the given .snmprec files with snmpsimd on 127.0.0.1 and
// returns its host and UDP port. Each file's community is its base name
// without .snmprec. The files are copied into a temporary data directory the
// snmpsim user can read; the daemon is stopped when the test ends. A missing
// snmpsimd skips the test (fails it under ROOMWATCH_REQUIRE_PEERS=1).
func StartSnmpsim(t testing.TB, files ...string) (host string, port int) {
	t.Helper()
	host, port, _ = StartSnmpsimStoppable(t, files...)
	return host, port
}

// StartSnmpsimStoppable is StartSnmpsim that also returns stop, which kills
// the daemon at once (the agent falls silent, as a hung management card
// does); calling it twice, or the cleanup after it, is harmless.
func StartSnmpsimStoppable(t testing.TB, files ...string) (host string, port int, stop func()) {
	t.Helper()
	if len(files) == 0 {
		t.Fatal("StartSnmpsim: no recordings given")
	}
	bin := testutil.LookBinary(t, "snmpsimd")
	dir := worldReadableTempDir(t, "roomwatch-snmpsim-")
	data, cache := filepath.Join(dir, "data"), filepath.Join(dir, "cache")
	for _, d := range []string{data, cache} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("read recording: %v", err)
		}
		if err := os.WriteFile(filepath.Join(data, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	port = FreeUDPPort(t)
	args := []string{"--data-dir=" + data, "--cache-dir=" + cache,
		fmt.Sprintf("--agent-udpv4-endpoint=127.0.0.1:%d", port)}
	if os.Geteuid() == 0 {
		// snmpsimd refuses to run as root without dropping privileges.
		u, err := user.Lookup("snmpsim")
		if err != nil {
			testutil.Missing(t, "user snmpsim (useradd -r snmpsim): %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(cache, uid, gid); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--process-user=snmpsim", "--process-group=snmpsim")
	}
	logPath := filepath.Join(dir, "snmpsimd.log")
	args = append(args, "--logging-method=file:"+logPath)
	if err := os.WriteFile(logPath, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(logPath, 0o666)
	cmd := exec.Command(bin, args...)
	startDaemon(t, cmd, logPath)
	community := strings.TrimSuffix(filepath.Base(files[0]), ".snmprec")
	waitSNMP(t, "127.0.0.1", port, community, 60*time.Second)
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			_, _ = cmd.Process.Wait()
		})
	}
	return "127.0.0.1", port, stop
}

// startDaemon starts cmd, killing it when the test ends and printing the end
// of its log if the test failed.
func startDaemon(t testing.TB, cmd *exec.Cmd, logPath string) {
	t.Helper()
	if cmd.Stdout == nil {
		f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = f, f
		t.Cleanup(func() { f.Close() })
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			out, _ := os.ReadFile(logPath)
			if len(out) > 8000 {
				out = out[len(out)-8000:]
			}
			t.Logf("%s log (end):\n%s", filepath.Base(cmd.Path), out)
		}
	})
}

// FreeUDPPort returns a UDP port on 127.0.0.1 below the kernel's ephemeral
// range (32768+), so that no client socket opened meanwhile (gosnmp binds
// ephemeral ports) can take it before the daemon binds it.
func FreeUDPPort(t testing.TB) int {
	t.Helper()
	for range 200 {
		port := 20000 + rand.IntN(12000)
		c, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return port
		}
	}
	t.Fatal("no free UDP port between 20000 and 32000")
	return 0
}

// worldReadableTempDir makes a directory other users (snmpsim, snmpd's user)
// can read, removed at the end of the test.
func worldReadableTempDir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// waitSNMP polls the agent until it answers anything (even noSuchObject).
func waitSNMP(t testing.TB, host string, port int, community string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		g := &gosnmp.GoSNMP{Target: host, Port: uint16(port), Community: community, Version: gosnmp.Version2c,
			Timeout: 300 * time.Millisecond, Retries: 0, Context: context.Background(), MaxOids: 10}
		if last = g.Connect(); last == nil {
			var resp *gosnmp.SnmpPacket
			resp, last = g.Get([]string{"1.3.6.1.2.1.1.3.0"})
			g.Conn.Close()
			if last == nil && resp.PDUType == gosnmp.GetResponse {
				return
			}
		}
	}
	t.Fatalf("SNMP agent on %s:%d did not answer within %v: %v", host, port, timeout, last)
}

// StartSnmpd runs net-snmp's snmpd in the foreground on a free loopback UDP
// port with conf (snmpd.conf lines: createUser, rouser, rocommunity…; the
// agentaddress line is added) and returns "127.0.0.1:port". System config is
// ignored (-C) and state goes to a temp dir. It is ready when it returns.
func StartSnmpd(t testing.TB, conf string) string {
	t.Helper()
	bin := testutil.LookBinary(t, "snmpd")
	dir := worldReadableTempDir(t, "roomwatch-snmpd-")
	port := FreeUDPPort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	confPath := filepath.Join(dir, "snmpd.conf")
	full := fmt.Sprintf("agentaddress udp:%s\n%s\n", addr, conf)
	if err := os.WriteFile(confPath, []byte(full), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "snmpd.log")
	cmd := exec.Command(bin, "-f", "-Lo", "-C", "-c", confPath, "-p", filepath.Join(dir, "snmpd.pid"))
	cmd.Env = append(os.Environ(), "SNMP_PERSISTENT_DIR="+filepath.Join(dir, "state"), "MIBS=")
	startDaemon(t, cmd, logPath)
	// Ready once the port is taken: snmpd binds after reading its config.
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			return addr
		}
		c.Close()
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(logPath)
			t.Fatalf("snmpd did not bind %s within 20s:\n%s", addr, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ReadSnmprec reads a .snmprec file (see ParseSnmprec).
func ReadSnmprec(path string) ([]gosnmp.SnmpPDU, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseSnmprec(f)
}

// readAll is io.ReadAll with a bound, for recordings.
func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(io.LimitReader(r, 64<<20)) }
