// Package reporttest builds a collector data directory with known contents for
// the report tests: real tickets (SQLite, ingested alerts and people's actions
// on a fake clock), real inspection records, real TSDB samples and an agent
// registry file, all for September 2026 (Asia/Shanghai).
//
// What is in it, and so what the reports must say:
//   - 6 devices: core-sw1 (switch), ups1 (ups), cam-001..cam-003 (camera), srv1 (server).
//   - roomwatch_probe_up{probe="icmp"} every 2 minutes for the whole month;
//     cam-002 down 5 h (2026-09-10 02:00–07:00) → 99.31%; ups1 down 30 min → 99.93%.
//   - 3 level-II faults on ups1, each acknowledged after 12 minutes; the second
//     resolved after 26 h, breaching its 24 h resolve timer by 2 h; one level-III
//     fault (cam-002, recovered when the alert resolved at 07:00); one level-IV
//     alert cancelled as a false alarm. MTTA 12m.
//   - a part (电源模块) replaced on the breached ticket.
//   - 28 of the 30 daily inspections (none on 09-15 and 09-16), 2 rows each;
//     the run of 09-10 has one abnormal row; 20 signed by the engineer, 10 countersigned.
package reporttest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/prometheus/model/labels"
	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/alert"
	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/registry"
	"github.com/roomwatch/roomwatch/internal/store"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// Month is the fixture's month.
const Month = "2026-09"

// Shanghai is the fixture's zone.
func Shanghai() *time.Location {
	loc, err := time.LoadLocation(calendar.DefaultZone)
	if err != nil {
		return time.FixedZone("CST", 8*3600) // no tzdata: China has had no DST since 1991
	}
	return loc
}

// MonthStart is 2026-09-01 00:00 Asia/Shanghai.
func MonthStart() time.Time { return time.Date(2026, 9, 1, 0, 0, 0, 0, Shanghai()) }

// Inventory is the fixture's inventory YAML (the inventory: section of a collector config).
const Inventory = `inventory:
  sites:
    - {name: hq, display_name: 情指中心机房}
    - {name: north, display_name: 北关派出所}
  devices:
    - {name: core-sw1, display_name: 核心交换机, class: switch, address: 10.0.0.1, site: hq, vendor: Huawei, model: S5720, room: 情指中心机房, rack: A01}
    - {name: ups1, display_name: 1号UPS, class: ups, address: 10.0.0.5, site: hq, vendor: APC, model: SMT1500}
    - {name: cam-001, class: camera, address: 10.1.0.1, site: north, parent: core-sw1}
    - {name: cam-002, display_name: 北关路口, class: camera, address: 10.1.0.2, site: north, parent: core-sw1}
    - {name: cam-003, class: camera, address: 10.1.0.3, site: north, parent: core-sw1}
    - {name: srv1, display_name: 视频服务器, class: server, address: 10.0.0.20, site: hq}
`

// Data is the built data directory.
type Data struct {
	Dir   string // data_dir: tickets.db, inspections.db, tsdb/, agents.json
	Clock *clockwork.FakeClock
}

// Build writes the fixture into dir. infoAt is when the info series
// (roomwatch_ups_info, roomwatch_host_info) are written: the asset report
// reads the last day before its own now.
func Build(t testing.TB, dir string, infoAt time.Time) *Data {
	t.Helper()
	ctx := context.Background()
	start := MonthStart()
	clk := clockwork.NewFakeClockAt(start)
	d := &Data{Dir: dir, Clock: clk}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	buildTSDB(t, filepath.Join(dir, "tsdb"), start, infoAt)
	env := ticketstest.NewAt(t, filepath.Join(dir, "tickets.db"), clk, nil)
	buildTickets(t, ctx, env, start)
	buildInspections(t, ctx, filepath.Join(dir, "inspections.db"), start)
	reg, err := registry.Open(registry.Options{Path: filepath.Join(dir, "agents.json"), Clock: clockwork.NewFakeClockAt(infoAt),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range []registry.Info{
		{Hostname: "srv1", IPs: []string{"10.0.0.20", "192.168.9.20"}, OS: "linux", Platform: "kylin", Kernel: "4.19.90", Site: "hq", Version: "0.9.0"},
		{Hostname: "ws-duty", IPs: []string{"10.0.0.88"}, OS: "windows", Platform: "Windows 10", Site: "hq", Version: "0.9.0"},
	} {
		if err := reg.Register(info, "127.0.0.1:1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := reg.Save(); err != nil {
		t.Fatal(err)
	}
	return d
}

func buildTSDB(t testing.TB, dir string, start, infoAt time.Time) {
	t.Helper()
	st, err := store.Open(store.Options{Dir: dir, Retention: 400 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	}()
	end := start.AddDate(0, 1, 0)
	camDown0, camDown1 := time.Date(2026, 9, 10, 2, 0, 0, 0, start.Location()), time.Date(2026, 9, 10, 7, 0, 0, 0, start.Location())
	upsDown0, upsDown1 := time.Date(2026, 9, 20, 14, 0, 0, 0, start.Location()), time.Date(2026, 9, 20, 14, 30, 0, 0, start.Location())
	ctx := context.Background()
	devices := []struct{ name, class, site string }{
		{"core-sw1", "switch", "hq"}, {"ups1", "ups", "hq"}, {"cam-001", "camera", "north"},
		{"cam-002", "camera", "north"}, {"cam-003", "camera", "north"}, {"srv1", "server", "hq"},
	}
	// In time order: the head is compacted while we append.
	series := make([]labels.Labels, len(devices))
	for i, dv := range devices {
		series[i] = labels.FromStrings("__name__", "roomwatch_probe_up", "class", dv.class, "device", dv.name, "probe", "icmp", "site", dv.site)
	}
	app := st.Appender(ctx)
	n := 0
	for ts := start; ts.Before(end); ts = ts.Add(2 * time.Minute) {
		for i, dv := range devices {
			v := 1.0
			switch {
			case dv.name == "cam-002" && !ts.Before(camDown0) && ts.Before(camDown1),
				dv.name == "ups1" && !ts.Before(upsDown0) && ts.Before(upsDown1):
				v = 0
			}
			if _, err := app.Append(0, series[i], ts.UnixMilli(), v); err != nil {
				t.Fatal(err)
			}
		}
		if n++; n%720 == 0 {
			if err := app.Commit(); err != nil {
				t.Fatal(err)
			}
			app = st.Appender(ctx)
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	app = st.Appender(ctx)
	for _, ls := range []labels.Labels{
		labels.FromStrings("__name__", "roomwatch_ups_info", "class", "ups", "device", "ups1", "site", "hq",
			"manufacturer", "APC", "ups_model", "Smart-UPS 1500", "firmware", "UPS 09.3"),
		labels.FromStrings("__name__", "roomwatch_device_reported_info", "class", "switch", "device", "core-sw1", "site", "hq",
			"sys_object_id", "1.3.6.1.4.1.2011.2.23.96", "sys_descr", "Huawei Versatile Routing Platform Software VRP (R) software, Version 5.170\nCopyright", "sys_name", "core-sw1"),
		labels.FromStrings("__name__", "roomwatch_device_reported_info", "class", "camera", "device", "cam-002", "site", "north",
			"reported_vendor", "Hikvision", "reported_model", "DS-2CD2T47G2", "serial", "DS-2CD2T47G2-L20230101", "firmware", "V5.7.3"),
		labels.FromStrings("__name__", "roomwatch_host_info", "hostname", "srv1", "os", "linux", "platform", "kylin",
			"platform_version", "V10", "kernel", "4.19.90", "arch", "arm64", "cpu_model", "Kunpeng 920", "ip", "10.0.0.20", "mac", "52:54:00:12:34:56"),
	} {
		if _, err := app.Append(0, ls, infoAt.Add(-time.Hour).UnixMilli(), 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
}

func firing(dev, class, name string, at time.Time, extra ...string) alert.Alert {
	l := map[string]string{"alertname": name, "device": dev, "class": class}
	for i := 0; i+1 < len(extra); i += 2 {
		l[extra[i]] = extra[i+1]
	}
	return alert.Alert{Labels: l, StartsAt: at, Annotations: map[string]string{"summary": dev + " " + name}, Source: alert.SourceRules}
}

func buildTickets(t testing.TB, ctx context.Context, env *ticketstest.Env, start time.Time) {
	t.Helper()
	clk := env.Clock
	at := func(day, h, m int) time.Time { return time.Date(2026, 9, day, h, m, 0, 0, start.Location()) }
	to := func(tm time.Time) { clk.Advance(tm.Sub(clk.Now())) }
	ingest := func(a ...alert.Alert) {
		if _, err := env.Service.Ingest(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	do := func(id int64, r tickets.ActionRequest) {
		if _, err := env.Service.Do(ctx, id, r); err != nil {
			t.Fatalf("ticket %d %s: %v", id, r.Action, err)
		}
	}
	idOf := func(dev, name string) int64 {
		ts, err := env.Service.List(ctx, tickets.Filter{Device: dev, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range ts {
			if tk.Labels["alertname"] == name {
				return tk.ID
			}
		}
		t.Fatalf("no ticket for %s %s", dev, name)
		return 0
	}
	// cam-002 offline 02:00–07:00 on the 10th: level III, recovered by the alert.
	to(at(10, 2, 0))
	cam := firing("cam-002", "camera", "CameraOffline", at(10, 2, 0))
	ingest(cam)
	camID := idOf("cam-002", "CameraOffline")
	to(at(10, 2, 12))
	do(camID, tickets.ActionRequest{Action: tickets.ActionAck, Actor: "张工"})
	to(at(10, 7, 0))
	cam.EndsAt = at(10, 7, 0)
	ingest(cam)
	to(at(10, 9, 0))
	do(camID, tickets.ActionRequest{Action: tickets.ActionResolve, Actor: "张工", Cause: "光纤收发器掉电", Fix: "更换收发器电源"})
	to(at(10, 10, 0))
	do(camID, tickets.ActionRequest{Action: tickets.ActionFollowUp, Actor: "王科长", Satisfaction: 4, Note: "恢复及时"})

	// Three level-II UPS faults, each acknowledged after 12 minutes.
	type upsFault struct {
		name     string
		day, h   int
		resolveH time.Duration
	}
	for i, f := range []upsFault{{"UPSOnBattery", 11, 10, 5 * time.Hour}, {"UPSBatteryLow", 12, 22, 26 * time.Hour}, {"UPSOverload", 20, 14, 2 * time.Hour}} {
		open := at(f.day, f.h, 0)
		to(open)
		ingest(firing("ups1", "ups", f.name, open))
		id := idOf("ups1", f.name)
		to(open.Add(12 * time.Minute))
		do(id, tickets.ActionRequest{Action: tickets.ActionAck, Actor: "李工"})
		if i == 1 {
			to(open.Add(3 * time.Hour))
			do(id, tickets.ActionRequest{Action: tickets.ActionPart, Actor: "李工",
				Part: &tickets.Part{Part: "电源模块", Serial: "PSU-2026-0912", Location: "情指中心机房 A01", Cause: "模块老化"}})
		}
		to(open.Add(f.resolveH))
		do(id, tickets.ActionRequest{Action: tickets.ActionResolve, Actor: "李工", Cause: fmt.Sprintf("%s 原因", f.name), Fix: "已处理"})
		to(open.Add(f.resolveH + time.Hour))
		do(id, tickets.ActionRequest{Action: tickets.ActionClose, Actor: "王科长"})
	}
	// A level-IV false alarm on srv1, cancelled.
	to(at(25, 11, 0))
	ingest(firing("srv1", "server", "DiskSpaceInfo", at(25, 11, 0), "severity", "info"))
	to(at(25, 11, 20))
	do(idOf("srv1", "DiskSpaceInfo"), tickets.ActionRequest{Action: tickets.ActionCancel, Actor: "张工", Note: "误报"})
}

func buildInspections(t testing.TB, ctx context.Context, path string, start time.Time) {
	t.Helper()
	st, err := inspect.OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n := 0
	for day := 1; day <= 30; day++ {
		if day == 15 || day == 16 {
			continue
		}
		at := time.Date(2026, 9, day, 8, 30, 0, 0, start.Location())
		rows := []inspect.Row{
			{Device: "ups1", Display: "1号UPS", Class: "ups", Item: "online", Name: "设备在线", NameEN: "Device online", Kind: "metric", Verdict: inspect.Normal},
			{Device: "hq", Display: "情指中心机房", Item: "room_walk", Name: "机房巡视", NameEN: "Room walk", Kind: "manual", Verdict: inspect.Pending},
		}
		if day == 10 {
			rows[0] = inspect.Row{Device: "cam-002", Display: "北关路口", Class: "camera", Item: "online", Name: "设备在线", NameEN: "Device online",
				Kind: "metric", Verdict: inspect.Abnormal, Level: classify.LevelII}
		}
		id, err := st.AppendRun(ctx, &inspect.Run{Template: "daily", Title: "每日巡检检查表", Rhythm: inspect.Daily,
			PeriodStart: at.Add(-24 * time.Hour), PeriodEnd: at, StartedAt: at, FinishedAt: at.Add(3 * time.Second), Trigger: "schedule", Rows: rows})
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n <= 26 { // the last two runs keep their manual row pending
			if _, err := st.Complete(ctx, id, inspect.Completion{Device: "hq", Item: "room_walk", Verdict: inspect.Normal, Note: "正常", User: "张工"}, at.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if n <= 20 {
			if _, err := st.Sign(ctx, id, inspect.Signature{Role: inspect.RoleEngineer, User: "张工", At: at.Add(2 * time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		if n <= 10 {
			if _, err := st.Sign(ctx, id, inspect.Signature{Role: inspect.RoleCustomer, User: "王科长", Title: "科长", At: at.Add(3 * time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// DailyTemplate is the daily inspection template the fixture's runs follow.
func DailyTemplate() *inspect.Template {
	return &inspect.Template{Name: "daily", Title: "每日巡检检查表", Rhythm: inspect.Daily, Schedule: "30 8 * * *"}
}

// ParseInventory decodes Inventory.
func ParseInventory(t testing.TB) *inventory.Inventory {
	t.Helper()
	var c struct {
		Inventory inventory.Inventory `yaml:"inventory"`
	}
	if err := yaml.Unmarshal([]byte(Inventory), &c); err != nil {
		t.Fatal(err)
	}
	c.Inventory.ApplyDefaults()
	if err := c.Inventory.Validate(); err != nil {
		t.Fatal(err)
	}
	return &c.Inventory
}
