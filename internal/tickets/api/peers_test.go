package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/testutil"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *server) tickets(t *testing.T) []tickets.Ticket {
	t.Helper()
	ts, err := s.Service.List(context.Background(), tickets.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAlertmanagerWebhook: Debian's Alertmanager 0.25 routes alerts posted to
// its API to our webhook; a ticket opens with the right level and recovers
// when the alert is resolved in Alertmanager.
func TestAlertmanagerWebhook(t *testing.T) {
	t.Parallel()
	s := start(t, true, false)
	amURL := testutil.StartAlertmanager(t, fmt.Sprintf(`route:
  receiver: roomwatch
  group_by: [alertname, device]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: roomwatch
    webhook_configs:
      - url: %s/api/v1/alertmanager/webhook
        send_resolved: true
        http_config:
          authorization: {credentials: %s}
`, s.URL, intakeTok))

	start0 := time.Now().Add(-time.Minute).Truncate(time.Second)
	post := func(ends time.Time) {
		body := fmt.Sprintf(`[{"labels":{"alertname":"UPSOnBattery","device":"ups-hq-1","class":"ups"},
"annotations":{"summary":"UPS 市电中断，电池供电"},"startsAt":%q,"endsAt":%q}]`,
			start0.Format(time.RFC3339), ends.Format(time.RFC3339))
		resp, err := http.Post(amURL+"/api/v2/alerts", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("alertmanager refused the alert: %s", resp.Status)
		}
	}
	post(time.Now().Add(time.Hour))
	waitFor(t, 30*time.Second, "a ticket from Alertmanager", func() bool { return len(s.tickets(t)) == 1 })
	tk := s.tickets(t)[0]
	if tk.Level != classify.LevelII || tk.Device != "ups-hq-1" || tk.Source != "webhook" || tk.Title != "UPS 市电中断，电池供电" {
		t.Fatalf("ticket level %s device %s source %s title %q", tk.Level, tk.Device, tk.Source, tk.Title)
	}
	post(time.Now().Add(-time.Second))
	waitFor(t, 30*time.Second, "the ticket to be recovered", func() bool {
		ts := s.tickets(t)
		return len(ts) == 1 && ts[0].State == tickets.StateRecovered && ts[0].RecoveredAt != nil
	})
}

// TestPrometheusAPIv2: Debian's Prometheus 2.42 evaluates a rule that fires at
// once and sends the alert to our /api/v2/alerts as to an Alertmanager.
func TestPrometheusAPIv2(t *testing.T) {
	t.Parallel()
	bin := testutil.LookBinary(t, "prometheus")
	s := start(t, true, false)
	dir := t.TempDir()
	writeFile(t, dir, "rules.yml", `groups:
  - name: test
    interval: 1s
    rules:
      - alert: RoomTemperatureHigh
        expr: vector(1)
        for: 0s
        labels: {severity: critical, device: ac-hq-1, class: ac}
        annotations: {summary: 机房温度过高}
`)
	host := strings.TrimPrefix(s.URL, "http://")
	cfg := writeFile(t, dir, "prometheus.yml", fmt.Sprintf(`global:
  evaluation_interval: 1s
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - api_version: v2
      authorization: {credentials: %s}
      static_configs:
        - targets: [%q]
`, intakeTok, host))
	port := testutil.FreePort(t)
	testutil.StartProcess(t, bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port),
		// The first send can precede alertmanager discovery and be dropped;
		// resend every second instead of every minute.
		"--rules.alert.resend-delay=1s")
	waitFor(t, 60*time.Second, "a ticket from Prometheus", func() bool { return len(s.tickets(t)) >= 1 })
	// Prometheus resends the alert every second: after three more sends,
	// still one ticket.
	sent := func() float64 {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
		if err != nil {
			return 0
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "prometheus_notifications_sent_total{") {
				var v float64
				fmt.Sscan(line[strings.LastIndex(line, " ")+1:], &v)
				return v
			}
		}
		return 0
	}
	base := sent()
	waitFor(t, 30*time.Second, "three more sends", func() bool { return sent() >= base+3 })
	if n := len(s.tickets(t)); n != 1 {
		t.Fatalf("%d tickets after resends, want 1", n)
	}
	tk := s.tickets(t)[0]
	if tk.Level != classify.LevelI || tk.Device != "ac-hq-1" || tk.Source != "api-v2" || tk.Title != "机房温度过高" {
		t.Fatalf("ticket level %s device %s source %s title %q", tk.Level, tk.Device, tk.Source, tk.Title)
	}
}
