package collector

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/inventory"
)

// logWatch is a slog handler that passes the scheduler's "next inspection"
// records to a channel, so the test moves the clock only once the timer is armed.
type logWatch struct{ next chan time.Time }

func (l logWatch) Enabled(context.Context, slog.Level) bool { return true }
func (l logWatch) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l logWatch) WithGroup(string) slog.Handler            { return l }
func (l logWatch) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "next inspection" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "at" {
			if t, ok := a.Value.Any().(time.Time); ok {
				l.next <- t
			}
		}
		return true
	})
	return nil
}

const inspectTemplate = `name: daily
title: 每日巡检检查表
rhythm: daily
items:
  - id: room_temp
    name: 机柜温度
    name_en: Rack temperature
    metric:
      query: 'max by (device) (wire_inspect_temperature_celsius)'
      unit: "℃"
      warning: "> 30"
      abnormal: "> 35"
    level: II
    alertname: InspectionRackHot
  - id: room_walk
    name: 机房巡视
    name_en: Machine room walk-through
    scope: site
    manual: {hint: 查看指示灯, photo: true}
`

func TestServeRunsScheduledInspections(t *testing.T) {
	t.Parallel()
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	clk := clockwork.NewFakeClockAt(time.Date(2026, 5, 20, 8, 28, 0, 0, sh))
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	tdir := t.TempDir()
	if err := os.WriteFile(filepath.Join(tdir, "daily.yml"), []byte(inspectTemplate), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Global.DataDir = t.TempDir()
	cfg.Web.ListenAddress = "127.0.0.1:0"
	cfg.Rules.Files = nil
	cfg.Scrape = nil
	cfg.Tickets.Rules = filepath.Join(root, "rules", "fault-levels.yml")
	cfg.SLA.Dir = filepath.Join(root, "rules", "sla")
	cfg.SLA.Holidays = filepath.Join(root, "rules", "calendars", "cn-holidays.yml")
	cfg.Tickets.Auth.Tokens = []auth.Token{
		{Name: "viewer", Token: "insp-viewer-token", Role: auth.RoleViewer},
		{Name: "zhang", Token: "insp-engineer-token", Role: auth.RoleEngineer},
		{Name: "li", Token: "insp-manager-token", Role: auth.RoleManager},
		{Name: "wang", Token: "insp-customer-token", Role: auth.RoleCustomer},
	}
	cfg.Inspections.Templates = tdir
	cfg.Inventory = inventory.Inventory{
		Sites: []inventory.Site{{Name: "central", DisplayName: "情指中心机房"}},
		Devices: []inventory.Device{
			{Name: "srv1", DisplayName: "视频服务器", Class: inventory.ClassServer, Address: "127.0.0.1", Site: "central"},
			{Name: "cam1", DisplayName: "大门摄像机", Class: inventory.ClassCamera, Address: "127.0.0.2", Site: "central"},
			{Name: "env1", DisplayName: "动环主机", Class: inventory.ClassEnv, Address: "127.0.0.3", Site: "central"},
		},
	}
	// No probes: the data comes from the appends below, on the fake clock's time.
	cfg.Probes.ByClass = map[inventory.Class][]string{inventory.ClassServer: {}, inventory.ClassCamera: {}, inventory.ClassEnv: {}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}

	lw := logWatch{next: make(chan time.Time, 16)}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := NewServe(ctx, Options{Config: cfg, Clock: clk, Logger: slog.New(lw)})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	app := srv.Appendable().Appender(ctx)
	ts := clk.Now().Add(-time.Minute).UnixMilli()
	for dev, v := range map[string]float64{"srv1": 24, "cam1": 41} {
		if _, err := app.Append(0, labels.FromStrings("__name__", "wire_inspect_temperature_celsius", "device", dev), ts, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	base := runServer(t, ctx, cancel, srv)

	waitNext := func() time.Time {
		t.Helper()
		select {
		case n := <-lw.next:
			return n
		case <-time.After(30 * time.Second):
			t.Fatal("the scheduler never armed its timer")
		}
		return time.Time{}
	}
	want := time.Date(2026, 5, 20, 8, 30, 0, 0, sh)
	if n := waitNext(); !n.Equal(want) {
		t.Fatalf("next inspection at %v, want %v", n, want)
	}
	// Nothing runs before 08:30.
	code, body := call(t, "GET", base+"/api/v1/inspections", "insp-viewer-token", "", nil)
	if code != http.StatusOK || !strings.Contains(body, `"inspections":null`) && !strings.Contains(body, `"inspections":[]`) {
		t.Fatalf("before 08:30: HTTP %d %s, want an empty list", code, body)
	}
	clk.Advance(2 * time.Minute)
	// The run is stored before the scheduler arms the next day's timer.
	if n := waitNext(); !n.Equal(want.AddDate(0, 0, 1)) {
		t.Fatalf("after the run, next inspection at %v, want the next day", n)
	}

	if code, _ := call(t, "GET", base+"/api/v1/inspections", "", "", nil); code != http.StatusUnauthorized {
		t.Errorf("list without a token: HTTP %d, want 401", code)
	}
	code, body = call(t, "GET", base+"/api/v1/inspections", "insp-viewer-token", "", nil)
	var list struct{ Inspections []inspect.Summary }
	if err := json.Unmarshal([]byte(body), &list); code != http.StatusOK || err != nil {
		t.Fatalf("list: HTTP %d %v %s", code, err, body)
	}
	if len(list.Inspections) != 1 {
		t.Fatalf("%d inspections after 08:30, want 1: %s", len(list.Inspections), body)
	}
	s := list.Inspections[0]
	if s.Template != "daily" || s.Trigger != "schedule" || !s.PeriodEnd.Equal(want) || s.Status != "pending" ||
		s.Totals.Normal != 1 || s.Totals.Abnormal != 1 || s.Totals.Unchecked != 1 || s.Totals.Pending != 1 {
		t.Errorf("summary %+v", s)
	}

	code, body = call(t, "GET", base+"/api/v1/inspections/1", "insp-viewer-token", "", nil)
	var in inspect.Inspection
	if err := json.Unmarshal([]byte(body), &in); code != http.StatusOK || err != nil {
		t.Fatalf("get: HTTP %d %v %s", code, err, body)
	}
	verdicts := map[string]inspect.Verdict{}
	for _, r := range in.Rows {
		verdicts[r.Device+"/"+r.Item] = r.Verdict
	}
	wantV := map[string]inspect.Verdict{"srv1/room_temp": inspect.Normal, "cam1/room_temp": inspect.Abnormal,
		"env1/room_temp": inspect.Unchecked, "central/room_walk": inspect.Pending}
	for k, v := range wantV {
		if verdicts[k] != v {
			t.Errorf("%s: %q, want %q", k, verdicts[k], v)
		}
	}
	if in.Tickets.Alerts != 1 || in.Tickets.Opened != 1 {
		t.Errorf("tickets %+v, want the abnormal row to open one", in.Tickets)
	}
	code, body = call(t, "GET", base+"/api/v1/tickets?device=cam1", "insp-viewer-token", "", nil)
	if code != http.StatusOK || !strings.Contains(body, "InspectionRackHot") {
		t.Errorf("tickets of cam1: HTTP %d %s, want the inspection's ticket", code, body)
	}

	for _, f := range []struct{ path, ctype, magic string }{
		{"/api/v1/inspections/1.html", "text/html; charset=utf-8", "每日巡检检查表"},
		{"/api/v1/inspections/1.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "PK\x03\x04"},
	} {
		resp := do(t, "GET", base+f.path, "insp-viewer-token", "", nil)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != f.ctype || !bytes.Contains(b, []byte(f.magic)) {
			t.Errorf("GET %s: HTTP %d %q (%d bytes), want %s", f.path, resp.StatusCode, resp.Header.Get("Content-Type"), len(b), f.ctype)
		}
		if code, _ := call(t, "GET", base+f.path, "", "", nil); code != http.StatusUnauthorized {
			t.Errorf("GET %s without a token: HTTP %d, want 401", f.path, code)
		}
	}

	// Roles: a viewer or the customer cannot run; the engineer runs, completes
	// and signs; only the customer's representative countersigns (not the
	// contractor's engineer or manager), and cannot sign as the engineer.
	for _, tok := range []string{"insp-viewer-token", "insp-customer-token"} {
		if code, _ := call(t, "POST", base+"/api/v1/inspections", tok, "application/json", []byte(`{"template":"daily"}`)); code != http.StatusForbidden {
			t.Errorf("%s run: HTTP %d, want 403", tok, code)
		}
	}
	code, body = call(t, "POST", base+"/api/v1/inspections", "insp-engineer-token", "application/json", []byte(`{"template":"daily","actor":"someone"}`))
	if code != http.StatusCreated || !strings.Contains(body, `"actor":"zhang"`) || !strings.Contains(body, `"trigger":"api"`) {
		t.Errorf("engineer run: HTTP %d %.300s", code, body)
	}
	code, body = call(t, "POST", base+"/api/v1/inspections/1/items", "insp-engineer-token", "application/json",
		[]byte(`{"device":"central","item":"room_walk","verdict":"normal","note":"指示灯正常"}`))
	if code != http.StatusOK || !strings.Contains(body, `"checked_by":"zhang"`) {
		t.Errorf("complete: HTTP %d %.300s", code, body)
	}
	if code, _ := call(t, "POST", base+"/api/v1/inspections/1/signatures", "insp-customer-token", "application/json", []byte(`{"role":"engineer"}`)); code != http.StatusForbidden {
		t.Errorf("customer signing as the engineer: HTTP %d, want 403", code)
	}
	if code, body := call(t, "POST", base+"/api/v1/inspections/1/signatures", "insp-engineer-token", "application/json", []byte(`{"role":"engineer"}`)); code != http.StatusOK {
		t.Errorf("engineer sign: HTTP %d %s", code, body)
	}
	for _, tok := range []string{"insp-viewer-token", "insp-engineer-token", "insp-manager-token"} {
		if code, _ := call(t, "POST", base+"/api/v1/inspections/1/signatures", tok, "application/json", []byte(`{"role":"customer"}`)); code != http.StatusForbidden {
			t.Errorf("%s countersigning: HTTP %d, want 403", tok, code)
		}
	}
	code, body = call(t, "POST", base+"/api/v1/inspections/1/signatures", "insp-customer-token", "application/json", []byte(`{"role":"customer","title":"科长"}`))
	if code != http.StatusOK || !strings.Contains(body, `"status":"countersigned"`) || !strings.Contains(body, `"user":"wang"`) {
		t.Errorf("countersign: HTTP %d %.300s", code, body)
	}
}

func do(t *testing.T, method, u, token, ctype string, body []byte) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func call(t *testing.T, method, u, token, ctype string, body []byte) (int, string) {
	t.Helper()
	resp := do(t, method, u, token, ctype, body)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
