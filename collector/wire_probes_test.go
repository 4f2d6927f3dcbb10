package collector

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/alert"
	"github.com/roomwatch/roomwatch/internal/snmp/snmptest"
	"github.com/roomwatch/roomwatch/internal/testutil"
)

// TestServeProbesFireRules: serve with an inventory of an APC UPS on battery
// (snmpsimd serving testdata/snmprec/ups-apc-onbattery.snmprec) and a loopback
// ping target. The probe metrics are queryable through /api/v1/query, and the
// shipped UPS rule fires into the alert pipeline: the rule engine's sink and a
// ticket in the ticket API. Real clock, short intervals (the rule manager
// evaluates on wall time).
func TestServeProbesFireRules(t *testing.T) {
	t.Parallel()
	root, err := testutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	host, port := snmptest.StartSnmpsim(t, filepath.Join(root, "testdata", "snmprec", "ups-apc-onbattery.snmprec"))
	dir := t.TempDir()
	yml := fmt.Sprintf(`global: {data_dir: %q, site: hq}
web: {listen_address: "127.0.0.1:0"}
rules:
  files: [%q]
  evaluation_interval: 1s
scrape: []
tickets:
  auth:
    tokens: [{name: viewer, token: probes-test-viewer, role: viewer}]
inventory:
  sites: [{name: hq}]
  devices:
    - name: ups-1
      class: ups
      site: hq
      address: "%s:%d"
      probes: [snmp]
      snmp: {version: "2c", community: ups-apc-onbattery}
      interval: 2s
    # three echoes 1 s apart per probe: the interval leaves room for them
    - {name: gw-1, class: router, site: hq, address: 127.0.0.2, probes: [icmp], interval: 10s}
`, filepath.Join(dir, "data"), filepath.Join(shortRules(t), "*.yml"), host, port)
	path := filepath.Join(dir, "collector.yml")
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	sink := &recSink{latest: map[string]alert.Alert{}}
	_, base := startServeWith(t, Options{Config: cfg, AlertSink: sink, Logger: discard()})

	deadline := time.Now().Add(60 * time.Second)
	for _, w := range []struct{ expr, device, value string }{
		{`roomwatch_probe_up{probe="snmp",class="ups",site="hq"}`, "ups-1", "1"},
		{`roomwatch_ups_on_battery{class="ups",site="hq"}`, "ups-1", "1"},
		{`roomwatch_ups_battery_runtime_seconds`, "ups-1", "240"},
		{`roomwatch_probe_up{probe="icmp",class="router",site="hq"}`, "gw-1", "1"},
	} {
		for {
			got := queryAt(t, base, w.expr, time.Now())
			if got[w.device] == w.value {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s = %v, want %s=%s", w.expr, got, w.device, w.value)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// The shipped rule (for: cut to 1s) fires into the sink and opens a ticket.
	for {
		firing := strings.Join(sink.firing(), "\n")
		code, body := getWithToken(t, base+"/api/v1/tickets", "probes-test-viewer")
		if code != http.StatusOK {
			t.Fatalf("tickets: HTTP %d: %s", code, body)
		}
		var list struct {
			Tickets []struct {
				Labels map[string]string `json:"labels"`
				Device string            `json:"device"`
				Level  string            `json:"level"`
			} `json:"tickets"`
		}
		if err := json.Unmarshal([]byte(body), &list); err != nil {
			t.Fatalf("tickets: %v: %s", err, body)
		}
		ticket := false
		for _, tk := range list.Tickets {
			// One power incident per UPS (tickets.group_by device, family): the
			// ticket carries the labels of whichever power alert opened it.
			ticket = ticket || (tk.Labels["family"] == "power" && tk.Device == "ups-1" && tk.Level == "I")
		}
		if ticket && strings.Contains(firing, `alertname="UPSOnBattery", class="ups", device="ups-1"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("UPSOnBattery did not reach the pipeline: firing %s; tickets %s", firing, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The loopback ping target answered every time: no reachability alert.
	if firing := sink.firing(); strings.Contains(strings.Join(firing, "\n"), `device="gw-1"`) {
		code, body := get(t, base+"/api/v1/query?query="+url.QueryEscape(`roomwatch_probe_error_info`))
		t.Errorf("gw-1 (127.0.0.2, answers ping) has alerts %v; probe errors: %d %s", firing, code, body)
	}
}
