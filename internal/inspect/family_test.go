package inspect

import (
	"context"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/alert"
	"github.com/roomwatch/roomwatch/internal/alertrules"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/testutil"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// itemRules maps every shipped inspection item that sees a fault an alert
// rule also watches to that rule. Items not listed have no rule of their own
// (availability ratios, bandwidth, storage usage, manual checks) or mix
// families (env_leak_smoke: water and fire); they carry no family.
var itemRules = map[string]string{
	"online":              "CameraOffline", // and HostDown, NetworkDeviceDown…: every class's ping rule
	"server_cpu":          "HostCPUHigh",
	"server_memory":       "HostMemoryLow",
	"server_disk":         "DiskNearlyFull",
	"server_processes":    "ProcessDown",
	"net_cpu":             "SwitchCPUHigh",
	"net_ports_down":      "InterfaceDown",
	"fans_psu":            "FanFailed",
	"ups_on_battery":      "UPSOnBattery",
	"ups_charge":          "UPSBatteryLow",
	"ups_runtime":         "UPSRuntimeLow",
	"ups_load":            "UPSLoadHigh",
	"ups_alarms":          "UPSAlarmsPresent",
	"ups_self_test":       "UPSSelfTestFailed",
	"ac_return_temp":      "ACTemperatureHigh",
	"ac_humidity":         "ACHumidityOutOfRange",
	"ac_alarm":            "ACGeneralAlarm",
	"env_temperature":     "RoomTemperatureHigh",
	"env_humidity":        "RoomHumidityOutOfRange",
	"nvr_disks":           "NVRDiskFailed",
	"nvr_channels":        "NVRChannelOffline",
	"camera_stream":       "CameraStreamFailed",
	"checkpoint_captures": "CheckpointCapturesStale",
	"checkpoint_clock":    "DeviceClockDrift",
	"printer_toner":       "PrinterSupplyLow",
}

// TestInspectionRowJoinsAlertTicket: for every shipped inspection item with a
// matching shipped alert rule, the item's family is the rule's, and an
// abnormal row for a device whose alert already has a ticket updates that
// ticket instead of opening a second one (InspectionDeviceOffline beside
// CameraOffline is one ticket).
func TestInspectionRowJoinsAlertTicket(t *testing.T) {
	t.Parallel()
	root, err := testutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	tmpls, err := LoadDir(filepath.Join(root, "rules", "inspections"))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, "rules", "alerts", "*.yml"))
	rs, err := alertrules.LoadFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	ruleFamily := map[string]string{}
	for _, r := range rs {
		ruleFamily[r.Name] = r.Family()
	}
	var withFamily []string
	for _, tm := range tmpls {
		for _, it := range tm.Items {
			if it.Family != "" {
				withFamily = append(withFamily, it.ID)
			}
			if _, ok := itemRules[it.ID]; ok != (it.Family != "") {
				t.Errorf("%s item %s: family %q but in the table: %v", tm.Name, it.ID, it.Family, ok)
			}
		}
	}
	sort.Strings(withFamily)
	if len(withFamily) != len(itemRules) {
		t.Errorf("items with a family %v, table has %d", withFamily, len(itemRules))
	}
	for _, tm := range tmpls {
		for _, it := range tm.Items {
			rule, ok := itemRules[it.ID]
			if !ok {
				continue
			}
			t.Run(it.ID, func(t *testing.T) {
				fam, ok := ruleFamily[rule]
				if !ok {
					t.Fatalf("rule %s is not shipped", rule)
				}
				if fam != it.Family {
					t.Fatalf("item family %q, rule %s family %q", it.Family, rule, fam)
				}
				env := ticketstest.New(t, nil)
				ctx := context.Background()
				res, err := env.Service.Ingest(ctx, []alert.Alert{{
					Labels:   map[string]string{"alertname": rule, "device": "dev-1", "family": fam},
					StartsAt: ticketstest.Start, Source: alert.SourceRules,
				}})
				if err != nil {
					t.Fatal(err)
				}
				st, err := OpenStore(filepath.Join(t.TempDir(), "inspections.db"))
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				r, err := NewRunner(Options{Inventory: &inventory.Inventory{}, Store: st, Intake: env.Service, Clock: env.Clock})
				if err != nil {
					t.Fatal(err)
				}
				run := &Run{Rows: []Row{{Device: "dev-1", Item: it.ID, Name: it.Name, NameEN: it.NameEN,
					Kind: it.Kind(), Verdict: Abnormal, Level: it.Level, Reason: "test"}}}
				r.openTickets(ctx, tm, run, env.Clock.Now().Add(time.Hour))
				if run.Tickets.Error != "" {
					t.Fatal(run.Tickets.Error)
				}
				if run.Rows[0].TicketID != res.Tickets[0] || run.Tickets.Opened != 0 {
					t.Errorf("row on ticket %d (opened %d), want the %s ticket %d", run.Rows[0].TicketID, run.Tickets.Opened, rule, res.Tickets[0])
				}
				all, err := env.Service.List(ctx, tickets.Filter{})
				if err != nil {
					t.Fatal(err)
				}
				if len(all) != 1 {
					t.Errorf("%d tickets, want 1", len(all))
				}
			})
		}
	}
}
