package collector

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

const (
	silEngineer = "silence-engineer-token-0001"
	silViewer   = "silence-viewer-token-00001"
)

// amtoolRun runs Debian's amtool against url with the http config file (a
// bearer token) when given.
func amtoolRun(t *testing.T, url, httpConfig string, args ...string) (string, error) {
	t.Helper()
	bin := testutil.LookBinary(t, "amtool")
	full := []string{"--alertmanager.url=" + url}
	if httpConfig != "" {
		full = append(full, "--http.config.file="+httpConfig)
	}
	out, err := exec.Command(bin, append(full, args...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// postAlert posts one firing alert to the collector's Alertmanager-style intake.
func postAlert(t *testing.T, base, device, name string, start time.Time) {
	t.Helper()
	body := fmt.Sprintf(`[{"labels":{"alertname":%q,"device":%q,"site":"城关机房"},"annotations":{"summary":"%s %s"},"startsAt":%q}]`,
		name, device, device, name, start.Format(time.RFC3339))
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v2/alerts", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+silEngineer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("post alert %s/%s: HTTP %d", device, name, resp.StatusCode)
	}
}

// ticketDevices lists the devices of the collector's tickets.
func ticketDevices(t *testing.T, base string) []string {
	t.Helper()
	code, body := getWithToken(t, base+"/api/v1/tickets", silViewer)
	if code != http.StatusOK {
		t.Fatalf("list tickets: HTTP %d: %s", code, body)
	}
	var out struct {
		Tickets []struct {
			Device string `json:"device"`
		} `json:"tickets"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	var ds []string
	for _, tk := range out.Tickets {
		ds = append(ds, tk.Device)
	}
	return ds
}

// TestAmtoolSilencesAgainstTheBinary: Debian's amtool 0.25 adds, queries and
// expires a maintenance window on the real roomwatch-collector; while it is
// active an alert of the device opens no ticket (another device's does);
// after amtool expires it, the alert's next copy opens the ticket. The
// window survives a kill -9 of the collector. Without a token amtool is
// refused.
func TestAmtoolSilencesAgainstTheBinary(t *testing.T) {
	t.Parallel()
	bin := buildCollector(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, fmt.Sprintf(`global:
  data_dir: %s
auth:
  tokens:
    - {name: li.gong, token: %s, role: engineer}
    - {name: duty, token: %s, role: viewer}
`, filepath.Join(dir, "data"), silEngineer, silViewer))
	httpCfg := filepath.Join(dir, "amtool-http.yml")
	if err := os.WriteFile(httpCfg, []byte("authorization:\n  type: Bearer\n  credentials: "+silEngineer+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	base := "http://" + addr
	start := func() *proc {
		p := startBinary(t, bin, dir, "--config", cfg, "--web.listen-address", addr)
		testutil.WaitHTTP(t, base+"/-/ready", 30*time.Second)
		return p
	}
	p := start()

	if out, err := amtoolRun(t, base, "", "silence", "add", "device=ups1", "--comment=x", "--duration=1h"); err == nil {
		t.Fatalf("amtool without a token was let in: %s", out)
	}
	id, err := amtoolRun(t, base, httpCfg, "silence", "add", `device="ups1"`, `alertname=~"UPS.*"`,
		"--comment=UPS 电池更换 battery replacement", "--author=li.gong", "--duration=2h")
	if err != nil {
		t.Fatalf("amtool silence add: %v: %s", err, id)
	}
	out, err := amtoolRun(t, base, httpCfg, "silence", "query")
	if err != nil || !strings.Contains(out, id) || !strings.Contains(out, `device="ups1"`) || !strings.Contains(out, "li.gong") {
		t.Fatalf("amtool silence query: %v:\n%s", err, out)
	}
	if out, err := amtoolRun(t, base, httpCfg, "silence", "query", "-q", "device=sw9"); err != nil || out != "" {
		t.Fatalf("query for another device: %v: %q", err, out)
	}

	now := time.Now()
	postAlert(t, base, "ups1", "UPSOnBattery", now)
	postAlert(t, base, "sw1", "NetworkDeviceDown", now)
	if got := ticketDevices(t, base); len(got) != 1 || got[0] != "sw1" {
		t.Fatalf("tickets in the window: %v, want only sw1's", got)
	}

	// kill -9: the acknowledged window is still there after the restart.
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
	start()
	out, err = amtoolRun(t, base, httpCfg, "silence", "query", "-q")
	if err != nil || out != id {
		t.Fatalf("after kill -9: %v: %q, want %s", err, out, id)
	}
	postAlert(t, base, "ups1", "UPSOnBattery", now) // the rules' resend
	if got := ticketDevices(t, base); len(got) != 1 {
		t.Fatalf("tickets after restart, window active: %v", got)
	}

	if out, err := amtoolRun(t, base, httpCfg, "silence", "expire", id); err != nil {
		t.Fatalf("amtool silence expire: %v: %s", err, out)
	}
	if out, err := amtoolRun(t, base, httpCfg, "silence", "query", "-q"); err != nil || out != "" {
		t.Fatalf("active silences after expire: %v: %q", err, out)
	}
	if out, err := amtoolRun(t, base, httpCfg, "silence", "query", "--expired", "-q"); err != nil || out != id {
		t.Fatalf("expired silences: %v: %q", err, out)
	}
	postAlert(t, base, "ups1", "UPSOnBattery", now) // still on battery
	got := ticketDevices(t, base)
	if len(got) != 2 || !strings.Contains(strings.Join(got, ","), "ups1") {
		t.Fatalf("tickets after the window: %v, want ups1's too", got)
	}
}
