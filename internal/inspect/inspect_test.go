package inspect_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe"
	"github.com/roomwatch/roomwatch/internal/probe/icmp"
	"github.com/roomwatch/roomwatch/internal/snmp"
	"github.com/roomwatch/roomwatch/internal/snmp/snmptest"
	"github.com/roomwatch/roomwatch/internal/store"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// Fixture is a store fed by real probes, an inventory, a ticket service and a
// record store, shared by the tests of this package.
type fixture struct {
	Inv     *inventory.Inventory
	Querier store.Querier
	Records *inspect.Store
	Tickets *ticketstest.Env
	Runner  *inspect.Runner
	Tmpl    *inspect.Template
	At      time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	host, port := snmptest.StartSnmpsim(t, "testdata/ups-healthy.snmprec", "../../testdata/snmprec/ups-rfc1628-lowbattery.snmprec")
	addr := probe.JoinHostPort(host, port)
	inv := &inventory.Inventory{
		Sites: []inventory.Site{{Name: "central", DisplayName: "情指中心机房"}},
		Devices: []inventory.Device{
			{Name: "ups-ok", DisplayName: "1号UPS", Class: inventory.ClassUPS, Address: addr, Site: "central",
				SNMP: &inventory.SNMP{Community: "ups-healthy"}},
			{Name: "ups-bad", DisplayName: "2号UPS", Class: inventory.ClassUPS, Address: addr, Site: "central",
				SNMP: &inventory.SNMP{Community: "ups-rfc1628-lowbattery"}},
			{Name: "srv1", DisplayName: "视频服务器", Class: inventory.ClassServer, Address: "127.0.0.1", Site: "central"},
			{Name: "cam1", DisplayName: "大门摄像机", Class: inventory.ClassCamera, Address: "127.0.0.2", Site: "central"},
			{Name: "env1", DisplayName: "动环主机", Class: inventory.ClassEnv, Address: "127.0.0.3", Site: "central"},
		},
	}
	inv.ApplyDefaults()
	if err := inv.Validate(); err != nil {
		t.Fatal(err)
	}
	targets, err := inv.Targets()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sink := store.NewSink(st, nil, nil)

	profiles, err := snmp.LoadProfiles("../../rules/profiles")
	if err != nil {
		t.Fatal(err)
	}
	sp, err := snmp.NewProber(snmp.Options{Profiles: profiles, Timeout: 3 * time.Second, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	pctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var results []probe.Result
	for _, tg := range targets[:2] {
		res := sp.Probe(pctx, tg)
		if res.Err != nil {
			t.Fatalf("snmp %s: %v", tg.Name, res.Err)
		}
		results = append(results, res)
	}
	pinger, err := icmp.New(icmp.Options{Count: 2, Timeout: 2 * time.Second, Interval: 10 * time.Millisecond})
	if err != nil {
		t.Fatalf("icmp (needs root or ping_group_range): %v", err)
	}
	defer pinger.Close()
	// env1 is never probed: it must show as unchecked, not vanish.
	pings := pinger.ProbeAll(pctx, []inventory.Target{targets[2], targets[3]})
	for _, r := range pings {
		if r.Err != nil {
			t.Fatalf("ping %s: %v", r.Target.Name, r.Err)
		}
	}
	results = append(results, pings...)
	if err := sink.Write(ctx, results); err != nil {
		t.Fatal(err)
	}

	exportDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(exportDir, "offences.csv"), []byte("id,time\n1,2026\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("testdata/daily-test.yml")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := inspect.ParseTemplate("daily-test.yml", []byte(strings.ReplaceAll(string(data), "EXPORT_DIR", exportDir)))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := inspect.OpenStore(filepath.Join(t.TempDir(), "inspections.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { recs.Close() })
	env := ticketstest.New(t, nil)
	at := time.Now().Add(10 * time.Second)
	runner, err := inspect.NewRunner(inspect.Options{
		Querier: st.PromQL(), Inventory: inv, Store: recs, Intake: env.Service,
		Clock: clockwork.NewFakeClockAt(at),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{Inv: inv, Querier: st.PromQL(), Records: recs, Tickets: env, Runner: runner, Tmpl: tmpl, At: at}
}

func TestDailyRunEndToEnd(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	in, err := f.Runner.Run(ctx, f.Tmpl, inspect.RunOptions{At: f.At, Trigger: "test", Actor: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ dev, item string }
	want := map[key]inspect.Verdict{
		{"ups-ok", "online"}: inspect.Unchecked, {"ups-bad", "online"}: inspect.Unchecked,
		{"srv1", "online"}: inspect.Normal, {"cam1", "online"}: inspect.Normal, {"env1", "online"}: inspect.Unchecked,
		{"ups-ok", "ups_on_battery"}: inspect.Normal, {"ups-bad", "ups_on_battery"}: inspect.Abnormal,
		{"ups-ok", "ups_charge"}: inspect.Normal, {"ups-bad", "ups_charge"}: inspect.Abnormal,
		{"数据导出任务", "data_export"}: inspect.Normal,
		{"central", "room_walk"}:  inspect.Pending,
	}
	got := map[key]inspect.Row{}
	for _, r := range in.Rows {
		got[key{r.Device, r.Item}] = r
	}
	if len(in.Rows) != len(want) {
		t.Errorf("%d rows, want %d: %+v", len(in.Rows), len(want), in.Rows)
	}
	for k, v := range want {
		r, ok := got[k]
		if !ok {
			t.Errorf("row %v missing", k)
			continue
		}
		if r.Verdict != v {
			t.Errorf("%v: verdict %s (%s), want %s", k, r.Verdict, r.Reason, v)
		}
		if v == inspect.Unchecked && !strings.Contains(r.Reason, "no data") {
			t.Errorf("%v: unchecked without a reason: %q", k, r.Reason)
		}
	}
	if r := got[key{"ups-bad", "ups_charge"}]; r.Value == nil || *r.Value != 9 || r.Unit != "%" || r.Level != classify.LevelII ||
		len(r.Evidence.Values) != 1 || r.Evidence.Values[0] != 0.09 || !strings.Contains(r.Evidence.Query, "roomwatch_ups_battery_charge_ratio") {
		t.Errorf("ups-bad charge row %+v", r)
	}
	if r := got[key{"ups-ok", "ups_charge"}]; r.Value == nil || *r.Value != 100 {
		t.Errorf("ups-ok charge row %+v", r)
	}
	if in.Tickets.Alerts != 2 || in.Tickets.Opened != 2 {
		t.Errorf("tickets %+v, want 2 alerts opening 2 tickets", in.Tickets)
	}
	if in.Status != "pending" || in.Totals.Pending != 1 || in.Totals.Abnormal != 2 {
		t.Errorf("status %s totals %+v", in.Status, in.Totals)
	}
	list, err := f.Tickets.Service.List(ctx, tickets.Filter{Device: "ups-bad"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("%d tickets for ups-bad, want 2 (on battery, charge)", len(list))
	}
	ids := map[int64]bool{}
	for _, tk := range list {
		if tk.Level != classify.LevelII || tk.Source != "inspection" {
			t.Errorf("ticket %d level %v source %q", tk.ID, tk.Level, tk.Source)
		}
		ids[tk.ID] = true
	}
	// Each abnormal row names the ticket it opened, also once stored.
	stored, err := f.Records.Get(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	rowTickets := func(in *inspect.Inspection) map[int64]bool {
		got := map[int64]bool{}
		for _, r := range in.Rows {
			if (r.Verdict == inspect.Abnormal) != (r.TicketID != 0) || r.LegacyTicket != "" {
				t.Errorf("row %s/%s: verdict %s ticket %d legacy %q", r.Device, r.Item, r.Verdict, r.TicketID, r.LegacyTicket)
			}
			if r.TicketID != 0 {
				got[r.TicketID] = true
			}
		}
		return got
	}
	if got := rowTickets(stored); !reflect.DeepEqual(got, ids) {
		t.Errorf("rows name tickets %v, the intake opened %v", got, ids)
	}

	// The same fault found again: no new ticket.
	f.Tickets.Clock.Advance(24 * time.Hour)
	in2, err := f.Runner.Run(ctx, f.Tmpl, inspect.RunOptions{At: f.At, Trigger: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if in2.Tickets.Opened != 0 || in2.Tickets.Updated != 2 {
		t.Errorf("second run tickets %+v, want 0 opened, 2 updated", in2.Tickets)
	}
	if got := rowTickets(in2); !reflect.DeepEqual(got, ids) {
		t.Errorf("second run rows name tickets %v, want the same %v", got, ids)
	}
	list, _ = f.Tickets.Service.List(ctx, tickets.Filter{})
	if len(list) != 2 {
		t.Errorf("%d tickets after the second run, want 2", len(list))
	}

	// Manual completion, sign-off, countersign.
	if _, err := f.Records.Sign(ctx, in.ID, inspect.Signature{Role: inspect.RoleEngineer, User: "张工", At: f.At}); err == nil {
		t.Error("signed with a pending item")
	}
	done, err := f.Records.Complete(ctx, in.ID, inspect.Completion{Device: "central", Item: "room_walk",
		Verdict: inspect.Normal, Note: "指示灯正常", User: "张工", Role: "engineer"}, f.At)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != "completed" {
		t.Errorf("status %s after completion", done.Status)
	}
	if _, err := f.Records.Sign(ctx, in.ID, inspect.Signature{Role: inspect.RoleCustomer, User: "李科长", At: f.At}); err == nil {
		t.Error("customer countersigned before the engineer")
	}
	if _, err := f.Records.Sign(ctx, in.ID, inspect.Signature{Role: inspect.RoleEngineer, User: "张工", At: f.At}); err != nil {
		t.Fatal(err)
	}
	fin, err := f.Records.Sign(ctx, in.ID, inspect.Signature{Role: inspect.RoleCustomer, User: "李科长", Title: "科长", At: f.At.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	back, err := f.Records.Get(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fin.Status != "countersigned" || back.Status != "countersigned" || len(back.Signatures) != 2 {
		t.Errorf("after signing: %s / %s, %d signatures", fin.Status, back.Status, len(back.Signatures))
	}
	sums, err := f.Records.List(ctx, inspect.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 2 || sums[1].ID != in.ID || sums[1].Status != "countersigned" || sums[1].Totals.Pending != 0 || sums[1].Totals.Normal != back.Totals.Normal {
		t.Errorf("list %+v", sums)
	}
	res, err := f.Records.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || res.Entries != 5 {
		t.Errorf("verify %+v", res)
	}

	// Tamper: edit a value via SQL (dropping the append-only trigger first).
	db := f.Records.DB()
	if _, err := db.Exec(`UPDATE entries SET body = replace(body, '"value":9,', '"value":90,') WHERE seq = ?`, in.ID); err == nil {
		t.Fatal("update allowed on an append-only table")
	}
	if _, err := db.Exec(`DROP TRIGGER entries_no_update`); err != nil {
		t.Fatal(err)
	}
	r, err := db.Exec(`UPDATE entries SET body = replace(body, '"value":9,', '"value":90,') WHERE seq = ?`, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := r.RowsAffected(); n != 1 {
		t.Fatalf("tamper touched %d rows", n)
	}
	res, err = f.Records.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || res.BadSeq != in.ID || res.BadInspection != in.ID || !strings.Contains(res.Reason, "hash mismatch") {
		t.Errorf("verify after tamper %+v, want record %d named", res, in.ID)
	}
}
