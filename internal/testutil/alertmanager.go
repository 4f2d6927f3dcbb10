package testutil

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// StartAlertmanager runs Debian's prometheus-alertmanager on loopback with
// the given configuration (a receiver named none that sends nothing when
// config is empty), waits until it is ready and returns its URL. It skips
// (or fails under RequirePeersEnv) when the binary is missing.
func StartAlertmanager(t testing.TB, config string) string {
	t.Helper()
	bin := LookBinary(t, "prometheus-alertmanager")
	if config == "" {
		config = "route:\n  receiver: none\nreceivers:\n  - name: none\n"
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "am.yml")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	port := FreePort(t)
	StartProcess(t, bin, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--cluster.listen-address=")
	u := fmt.Sprintf("http://127.0.0.1:%d", port)
	WaitHTTP(t, u+"/-/ready", 30*time.Second)
	return u
}
