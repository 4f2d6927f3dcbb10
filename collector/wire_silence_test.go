package collector

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/testutil"
)

// TestServeHonoursAlertmanagerSilencesAndMarksTickets: serve sends its
// alerts to a real Alertmanager (rules.alertmanagers); a silence set there
// with amtool keeps the UPS's alert from opening a ticket. A window set on
// the collector over a switch that already has a ticket notes 进入维护窗口
// on it, and 维护窗口结束 once expired.
func TestServeHonoursAlertmanagerSilencesAndMarksTickets(t *testing.T) {
	t.Parallel()
	am := testutil.StartAlertmanager(t, "")
	httpCfg := ""
	id, err := amtoolRun(t, am, httpCfg, "silence", "add", `device="ups1"`, "--comment=市电检修 mains work", "--author=bureau", "--duration=2h")
	if err != nil {
		t.Fatalf("amtool add on the Alertmanager: %v: %s", err, id)
	}

	cfg := DefaultConfig()
	cfg.Global.DataDir = t.TempDir()
	cfg.Web.ListenAddress = "127.0.0.1:0"
	cfg.Rules.Files = nil
	cfg.Rules.Alertmanagers = []string{am}
	cfg.Scrape = nil
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tickets.Rules = filepath.Join(root, "rules", "fault-levels.yml")
	cfg.SLA.Dir = filepath.Join(root, "rules", "sla")
	cfg.SLA.Holidays = filepath.Join(root, "rules", "calendars", "cn-holidays.yml")
	cfg.Auth.Tokens = []auth.Token{{Name: "li.gong", Token: silEngineer, Role: auth.RoleEngineer}, {Name: "duty", Token: silViewer, Role: auth.RoleViewer}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	clk := clockwork.NewFakeClockAt(time.Now().Add(time.Second)) // the Alertmanager's silence began before
	_, base := startServeWith(t, Options{Config: cfg, Logger: discard(), Clock: clk})

	// The poller read the Alertmanager once at start.
	waitFor(t, 20*time.Second, func() bool {
		_, body := getWithToken(t, base+"/metrics", silViewer)
		return strings.Contains(body, fmt.Sprintf(`roomwatch_silences_active{source=%q} 1`, am))
	})
	now := clk.Now()
	postAlert(t, base, "ups1", "UPSOnBattery", now)
	postAlert(t, base, "sw1", "NetworkDeviceDown", now)
	if got := ticketDevices(t, base); len(got) != 1 || got[0] != "sw1" {
		t.Fatalf("tickets: %v, want sw1's only (ups1 is silenced on the Alertmanager)", got)
	}

	// A window on the collector over sw1, whose ticket is open.
	body := fmt.Sprintf(`{"matchers":[{"name":"device","value":"sw1","isRegex":false}],"startsAt":%q,"endsAt":%q,"createdBy":"li.gong","comment":"固件升级"}`,
		now.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v2/silences", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+silEngineer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		SilenceID string `json:"silenceID"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || created.SilenceID == "" {
		t.Fatalf("post silence: HTTP %d", resp.StatusCode)
	}
	events := func() string {
		_, b := getWithToken(t, base+"/api/v1/tickets/1", silViewer)
		return b
	}
	clk.Advance(windowPass) // the watcher's next pass
	waitFor(t, 20*time.Second, func() bool { return strings.Contains(events(), "进入维护窗口") })

	req, _ = http.NewRequest(http.MethodDelete, base+"/api/v2/silence/"+created.SilenceID, nil)
	req.Header.Set("Authorization", "Bearer "+silEngineer)
	if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("expire: %v %v", err, resp)
	}
	resp.Body.Close()
	clk.Advance(windowPass)
	waitFor(t, 20*time.Second, func() bool { return strings.Contains(events(), "维护窗口结束") })
	if n := strings.Count(events(), "进入维护窗口"); n != 1 {
		t.Errorf("进入维护窗口 noted %d times, want once", n)
	}
}
