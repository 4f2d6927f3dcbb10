package collector

// What the duty desk expects, end to end through `serve` (NewServe, the
// shipped rules with `for:` cut to 1s, the embedded TSDB, the ticket API),
// with real peers: snmpsimd serving recordings, real TCP ports on loopback.
//
//   - A UPS on battery is one power ticket at the worst level of its alerts,
//     each alert on its timeline.
//   - A UPS whose SNMP agent falls silent is never "recovered": its power
//     ticket stays open, marked 设备失联/状态未知 with the time, and is linked
//     to the UPS's reachability ticket.
//   - A switch that falls silent with cameras behind it is one ticket: the
//     cameras that fail after it are attached to the switch's ticket.
//   - The daily inspection that finds the UPS on battery adds its rows to the
//     power ticket the alert already opened; it opens no second ticket.
//   - The installed binary, restarted, writes no catch-up inspection for a
//     due time before its first start.
//   - Planned work opens no ticket: a maintenance window set with Debian's
//     amtool holds the alerts it matches (no ticket, no notice) and survives
//     kill -9; once expired the alert opens its ticket
//     (silence_binary_test.go TestAmtoolSilencesAgainstTheBinary); a silence
//     set on a real Alertmanager stops the UPS ticket through serve and a
//     window over an open ticket is noted on it
//     (wire_silence_test.go TestServeHonoursAlertmanagerSilencesAndMarksTickets).
//   - A device flapping ten times in an hour is one ticket with ten entries
//     (internal/tickets flapping test).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/snmp/snmptest"
	"github.com/roomwatch/roomwatch/internal/testutil"
)

const (
	dutyToken     = "duty-desk-viewer"
	engineerToken = "duty-desk-engineer"
)

// dutyTicket is a ticket as the duty desk's console reads it.
type dutyTicket struct {
	ID           int64             `json:"id"`
	Level        string            `json:"level"`
	State        string            `json:"state"`
	Device       string            `json:"device"`
	Reach        bool              `json:"reachability"`
	Labels       map[string]string `json:"labels"`
	UnknownSince *time.Time        `json:"unknown_since"`
	Unknown      string            `json:"unknown"`
	LinkedTo     int64             `json:"linked_ticket"`
	Affected     []struct {
		Device    string `json:"device"`
		Alertname string `json:"alertname"`
	} `json:"affected"`
	Events []struct {
		Kind string `json:"kind"`
		Note string `json:"note"`
	} `json:"events"`
}

// notes returns the notes of the ticket's events of kind.
func (tk dutyTicket) notes(kind string) []string {
	var out []string
	for _, e := range tk.Events {
		if e.Kind == kind {
			out = append(out, e.Note)
		}
	}
	return out
}

// startDutyDesk runs serve with the shipped rules (for: 1s, evaluated every
// second) and the given inventory devices (YAML list items), site hq.
func startDutyDesk(t *testing.T, devices string) string {
	t.Helper()
	dir := t.TempDir()
	root, err := testutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	yml := fmt.Sprintf(`global: {data_dir: %q, site: hq}
web: {listen_address: "127.0.0.1:0"}
rules:
  files: [%q]
  evaluation_interval: 1s
scrape: []
inspections: {templates: %q}
tickets:
  auth:
    tokens:
      - {name: duty, token: %s, role: viewer}
      - {name: zhang, token: %s, role: engineer}
inventory:
  sites: [{name: hq}]
  devices:
%s`, filepath.Join(dir, "data"), filepath.Join(shortRules(t), "*.yml"), filepath.Join(root, "rules", "inspections"),
		dutyToken, engineerToken, devices)
	path := filepath.Join(dir, "collector.yml")
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	_, base := startServeWith(t, Options{Config: cfg, Logger: discard()})
	return base
}

// dutyTickets lists every ticket, each with its history.
func dutyTickets(t *testing.T, base string) []dutyTicket {
	t.Helper()
	code, body := getWithToken(t, base+"/api/v1/tickets?limit=1000", dutyToken)
	if code != http.StatusOK {
		t.Fatalf("tickets: HTTP %d: %s", code, body)
	}
	var list struct {
		Tickets []dutyTicket `json:"tickets"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatalf("tickets: %v: %s", err, body)
	}
	for i := range list.Tickets {
		code, body := getWithToken(t, fmt.Sprintf("%s/api/v1/tickets/%d", base, list.Tickets[i].ID), dutyToken)
		if code != http.StatusOK {
			t.Fatalf("ticket %d: HTTP %d: %s", list.Tickets[i].ID, code, body)
		}
		if err := json.Unmarshal([]byte(body), &list.Tickets[i]); err != nil {
			t.Fatal(err)
		}
	}
	return list.Tickets
}

// waitTickets polls the tickets until ok holds; the timeout turns a hang
// into a failure that shows the tickets.
func waitTickets(t *testing.T, base, what string, ok func([]dutyTicket) bool) []dutyTicket {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		ts := dutyTickets(t, base)
		if ok(ts) {
			return ts
		}
		if time.Now().After(deadline) {
			b, _ := json.MarshalIndent(ts, "", "  ")
			t.Fatalf("timed out waiting for %s; tickets:\n%s", what, b)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// ofFamily returns the tickets of device whose alert family is family.
func ofFamily(ts []dutyTicket, device, family string) []dutyTicket {
	var out []dutyTicket
	for _, tk := range ts {
		if tk.Device == device && tk.Labels["family"] == family {
			out = append(out, tk)
		}
	}
	return out
}

func recording(t *testing.T, name string) string {
	t.Helper()
	root, err := testutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "testdata", "snmprec", name+".snmprec")
}

// snmpDevice is an inventory item polled over SNMP every second, with a
// short timeout and no retry so that silence shows within seconds.
func snmpDevice(name, class, host string, port int, community string) string {
	return fmt.Sprintf(`    - name: %s
      class: %s
      site: hq
      address: "%s:%d"
      probes: [snmp]
      snmp: {version: "2c", community: %s, timeout: 500ms, retries: 0}
      interval: 1s
`, name, class, host, port, community)
}

// TestDutyDeskOneUPSEventOneTicket: a UPS on battery with its battery low
// and its runtime short (RFC 1628 recording) raises UPSOnBattery,
// UPSBatteryLow and UPSRuntimeLow; the desk sees one power ticket for the
// UPS, at level I, with every alert on its timeline.
func TestDutyDeskOneUPSEventOneTicket(t *testing.T) {
	t.Parallel()
	host, port := snmptest.StartSnmpsim(t, recording(t, "ups-rfc1628-lowbattery"))
	base := startDutyDesk(t, snmpDevice("ups-1", "ups", host, port, "ups-rfc1628-lowbattery"))
	want := []string{"UPSOnBattery", "UPSBatteryLow", "UPSRuntimeLow"}
	ts := waitTickets(t, base, "the three UPS alerts on one ticket", func(ts []dutyTicket) bool {
		power := ofFamily(ts, "ups-1", "power")
		if len(power) != 1 {
			return len(power) > 1
		}
		got := strings.Join(append(power[0].notes("opened"), power[0].notes("alert")...), "\n")
		for _, w := range want {
			if !strings.Contains(got, w) {
				return false
			}
		}
		return true
	})
	power := ofFamily(ts, "ups-1", "power")
	if len(power) != 1 {
		t.Fatalf("%d power tickets for one UPS event, want 1", len(power))
	}
	if power[0].Level != "I" {
		t.Errorf("power ticket level %s, want I (the worst of its alerts)", power[0].Level)
	}
}

// TestDutyDeskSilentUPSIsNeverRecovered: a UPS on battery has its power
// ticket; its SNMP agent then falls silent. The on-battery alerts end for
// lack of data, and the ticket stays open, marked 设备失联/状态未知 with the
// time, linked to the UPS's reachability ticket (InfraSNMPSilent).
func TestDutyDeskSilentUPSIsNeverRecovered(t *testing.T) {
	t.Parallel()
	host, port, stop := snmptest.StartSnmpsimStoppable(t, recording(t, "ups-apc-onbattery"))
	base := startDutyDesk(t, snmpDevice("ups-1", "ups", host, port, "ups-apc-onbattery"))
	ts := waitTickets(t, base, "the UPS power ticket", func(ts []dutyTicket) bool {
		p := ofFamily(ts, "ups-1", "power")
		return len(p) == 1 && len(p[0].notes("alert")) > 0 // UPSOnBattery and UPSRuntimeLow
	})
	powerID := ofFamily(ts, "ups-1", "power")[0].ID

	silentAt := time.Now()
	stop()
	ts = waitTickets(t, base, "the power ticket marked unknown and linked", func(ts []dutyTicket) bool {
		for _, tk := range ts {
			if tk.ID == powerID {
				return tk.UnknownSince != nil && tk.LinkedTo != 0
			}
		}
		return false
	})
	reach := ofFamily(ts, "ups-1", "reachability")
	for _, tk := range ts {
		if tk.ID != powerID {
			continue
		}
		if tk.State != "open" {
			t.Errorf("power ticket state %s after the UPS fell silent, want open (never recovered)", tk.State)
		}
		if tk.UnknownSince.Before(silentAt.Add(-time.Second)) || !strings.Contains(tk.Unknown, "设备失联/状态未知") {
			t.Errorf("unknown since %v (silenced at %v), mark %q", tk.UnknownSince, silentAt, tk.Unknown)
		}
		if len(reach) != 1 || tk.LinkedTo != reach[0].ID || reach[0].Labels["alertname"] != "InfraSNMPSilent" {
			t.Errorf("linked to ticket %d, reachability tickets %+v: want the one InfraSNMPSilent ticket", tk.LinkedTo, reach)
		}
		if n := tk.notes("unknown"); len(n) == 0 || !strings.Contains(n[0], "UPSOnBattery") && !strings.Contains(strings.Join(n, ""), "UPSOnBattery") {
			t.Errorf("unknown events %q, want one naming UPSOnBattery", n)
		}
	}
	// Some seconds later it is still open: silence does not recover it.
	time.Sleep(3 * time.Second)
	for _, tk := range dutyTickets(t, base) {
		if tk.ID == powerID && tk.State != "open" {
			t.Errorf("power ticket %s while the UPS is silent", tk.State)
		}
	}
}

// TestDutyDeskSwitchWithCamerasBehindIt: a switch falls silent (its SNMP
// agent stops) and opens its reachability ticket; the cameras behind it
// (parent: sw-1) then fail their port check. The desk sees one ticket, the
// switch's, with both cameras attached, and no camera ticket.
func TestDutyDeskSwitchWithCamerasBehindIt(t *testing.T) {
	t.Parallel()
	host, port, stop := snmptest.StartSnmpsimStoppable(t, recording(t, "switch-huawei-portsdown"))
	var cams []net.Listener
	devices := snmpDevice("sw-1", "switch", host, port, "switch-huawei-portsdown")
	for i := range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() { // a camera's service port: accept and hang up
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		cams = append(cams, ln)
		devices += fmt.Sprintf("    - {name: cam-%d, class: camera, site: hq, parent: sw-1, address: %q, probes: [tcp], interval: 1s}\n",
			i+1, ln.Addr().String())
	}
	base := startDutyDesk(t, devices)
	// Wait until the cameras have been seen up, so that their failure is new.
	deadline := time.Now().Add(60 * time.Second)
	for got := queryAt(t, base, `roomwatch_probe_up{probe="tcp"}`, time.Now()); got["cam-1"] != "1" || got["cam-2"] != "1"; got = queryAt(t, base, `roomwatch_probe_up{probe="tcp"}`, time.Now()) {
		if time.Now().After(deadline) {
			t.Fatalf("cameras not up: %v", got)
		}
		time.Sleep(200 * time.Millisecond)
	}

	stop()
	ts := waitTickets(t, base, "the switch's reachability ticket", func(ts []dutyTicket) bool {
		return len(ofFamily(ts, "sw-1", "reachability")) == 1
	})
	swID := ofFamily(ts, "sw-1", "reachability")[0].ID
	for _, ln := range cams {
		ln.Close()
	}
	ts = waitTickets(t, base, "both cameras attached to the switch's ticket", func(ts []dutyTicket) bool {
		for _, tk := range ts {
			if tk.ID == swID {
				var devs []string
				for _, a := range tk.Affected {
					devs = append(devs, a.Device)
				}
				return slices.Contains(devs, "cam-1") && slices.Contains(devs, "cam-2")
			}
		}
		return false
	})
	for _, tk := range ts {
		if strings.HasPrefix(tk.Device, "cam-") {
			t.Errorf("camera %s has its own ticket #%d (%s) beside the switch's #%d", tk.Device, tk.ID, tk.Labels["alertname"], swID)
		}
		if tk.ID == swID && tk.Labels["alertname"] != "SNMPAgentSilent" {
			t.Errorf("switch ticket from %s, want SNMPAgentSilent", tk.Labels["alertname"])
		}
	}
}

// TestDutyDeskInspectionJoinsAlertTicket: a UPS on battery has its power
// ticket from the alert rules; the daily inspection, run through the API,
// finds the same fault (ups_on_battery, ups_runtime): its rows point at the
// power ticket, which has their entries on its timeline, and no second power
// ticket opens.
func TestDutyDeskInspectionJoinsAlertTicket(t *testing.T) {
	t.Parallel()
	host, port := snmptest.StartSnmpsim(t, recording(t, "ups-apc-onbattery"))
	base := startDutyDesk(t, snmpDevice("ups-1", "ups", host, port, "ups-apc-onbattery"))
	ts := waitTickets(t, base, "the UPS power ticket", func(ts []dutyTicket) bool {
		return len(ofFamily(ts, "ups-1", "power")) == 1
	})
	powerID := ofFamily(ts, "ups-1", "power")[0].ID

	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/inspections", bytes.NewBufferString(`{"template":"daily"}`))
	req.Header.Set("Authorization", "Bearer "+engineerToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var run struct {
		Rows []struct {
			Device   string `json:"device"`
			Item     string `json:"item"`
			Verdict  string `json:"verdict"`
			TicketID int64  `json:"ticket_id"`
		} `json:"rows"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&run); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("daily run: HTTP %d: %v", resp.StatusCode, err)
	}
	seen := map[string]int64{}
	for _, r := range run.Rows {
		if r.Device == "ups-1" && r.Verdict == "abnormal" {
			seen[r.Item] = r.TicketID
		}
	}
	for _, item := range []string{"ups_on_battery", "ups_runtime"} {
		id, ok := seen[item]
		if !ok {
			t.Errorf("the daily run did not find %s abnormal on ups-1 (abnormal rows %v)", item, seen)
		} else if id != powerID {
			t.Errorf("row %s on ticket %d, want the power ticket %d", item, id, powerID)
		}
	}
	ts = dutyTickets(t, base)
	if p := ofFamily(ts, "ups-1", "power"); len(p) != 1 {
		t.Fatalf("%d power tickets for ups-1 after the inspection, want 1", len(p))
	}
	for _, tk := range ts {
		if tk.ID == powerID && !strings.Contains(strings.Join(tk.notes("alert"), "\n"), "巡检异常") {
			t.Errorf("power ticket timeline %q lacks the inspection's entry", tk.notes("alert"))
		}
	}
}

// TestDutyDeskNoCatchUpBeforeFirstStart: the built binary, started on a fresh
// data directory with the shipped inspection templates, records its first
// start; restarted, it keeps that time and writes no catch-up sheet for a due
// time before it (no "monthly inspection" dated before the install).
func TestDutyDeskNoCatchUpBeforeFirstStart(t *testing.T) {
	t.Parallel()
	bin := buildCollector(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	before := time.Now()
	for range 2 { // install, then a restart
		addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
		p := startBinary(t, bin, dir, "--data-dir", data, "--web.listen-address", addr)
		testutil.WaitHTTP(t, "http://"+addr+"/-/ready", 60*time.Second)
		time.Sleep(time.Second) // the schedule's catch-up runs right after the start
		if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		if err := p.cmd.Wait(); err != nil {
			t.Fatalf("exit after SIGINT: %v", err)
		}
	}
	st, err := inspect.OpenStore(filepath.Join(data, "inspections.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	first, err := st.FirstStart(ctx, time.Now().Add(24*time.Hour)) // a later "now" is not recorded: one is already there
	if err != nil {
		t.Fatal(err)
	}
	if first.Before(before.Add(-time.Second)) || first.After(time.Now()) {
		t.Errorf("first start %v, want the first run's start (after %v)", first, before)
	}
	runs, err := st.List(ctx, inspect.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Trigger == "catch-up" || r.PeriodEnd.Before(first) {
			t.Errorf("inspection %s (%s) for period ending %v, before the first start %v", r.Template, r.Trigger, r.PeriodEnd, first)
		}
	}
}
