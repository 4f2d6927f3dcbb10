package console_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/console"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/silence"
)

// TestMaintenancePage: windows are listed for every role; engineers create
// (the creator is the logged-in account) and expire them with the CSRF
// token; viewers may not; bad forms are refused with the form kept.
func TestMaintenancePage(t *testing.T) {
	var set *silence.Set
	e := newDeskEnvWith(t, func(o *console.Options) {
		ss, err := silence.OpenStore(context.Background(), filepath.Join(t.TempDir(), "silences.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ss.Close() })
		if set, err = silence.NewSet(context.Background(), silence.Options{Store: ss, Clock: o.Clock}); err != nil {
			t.Fatal(err)
		}
		o.Silences = set
		o.Sources.Inventory = &inventory.Inventory{
			Sites:   []inventory.Site{{Name: "central", DisplayName: "情指中心机房"}},
			Devices: []inventory.Device{{Name: "sw1", DisplayName: "核心交换机", Class: "switch", Site: "central"}},
		}
	})
	eng := e.user(t, "zhang", auth.RoleEngineer)
	duty := e.user(t, "duty", auth.RoleViewer)
	now := e.tk.Clock.Now().In(shanghai(t))
	form := func(scope, device, site, class string, from, to time.Duration, comment string) url.Values {
		return url.Values{"scope": {scope}, "device": {device}, "site": {site}, "class": {class},
			"starts": {now.Add(from).Format("2006-01-02T15:04")}, "ends": {now.Add(to).Format("2006-01-02T15:04")}, "comment": {comment}}
	}

	resp, body := get(t, duty, e.srv.URL+"/maintenance")
	if resp.StatusCode != 200 || !strings.Contains(body, `id="no-windows"`) || strings.Contains(body, `id="new-window"`) {
		t.Fatalf("viewer's page: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := csrfPost(t, duty, e.srv.URL, "/maintenance", "/maintenance", form("device", "sw1", "", "", 0, time.Hour, "x")); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer creates: %d, want 403", resp.StatusCode)
	}
	if resp, _ := post(t, eng, e.srv.URL+"/maintenance", form("device", "sw1", "", "", 0, time.Hour, "x"), nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("engineer without the CSRF token: %d, want 403", resp.StatusCode)
	}
	for _, c := range []struct {
		name string
		f    url.Values
		msg  string
	}{
		{"no device", form("device", "", "", "", 0, time.Hour, "x"), "请选择设备"},
		{"no site", form("site", "", "", "", 0, time.Hour, "x"), "请选择站点"},
		{"end before start", form("device", "sw1", "", "", time.Hour, 0, "x"), "结束时间须晚于开始时间"},
		{"over already", form("device", "sw1", "", "", -2*time.Hour, -time.Hour, "x"), "结束时间须晚于开始时间"},
		{"no reason", form("device", "sw1", "", "", 0, time.Hour, "  "), "请填写原因"},
		{"bad scope", form("all", "sw1", "", "", 0, time.Hour, "x"), "请选择按设备还是按站点"},
	} {
		resp, body := csrfPost(t, eng, e.srv.URL, "/maintenance", "/maintenance", c.f)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, c.msg) {
			t.Errorf("%s: %d, want 422 saying %q", c.name, resp.StatusCode, c.msg)
		}
	}
	if n := len(set.List()); n != 0 {
		t.Fatalf("%d windows after refused forms", n)
	}
	resp, _ = csrfPost(t, eng, e.srv.URL, "/maintenance", "/maintenance", form("device", "sw1", "", "", 0, 2*time.Hour, "换电池"))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	resp, _ = csrfPost(t, eng, e.srv.URL, "/maintenance", "/maintenance", form("site", "", "central", "switch", time.Hour, 3*time.Hour, "机房施工"))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create by site: %d", resp.StatusCode)
	}
	ws := set.List()
	if len(ws) != 2 {
		t.Fatalf("%d windows, want 2", len(ws))
	}
	if ws[0].CreatedBy != "zhang" || ws[0].MatchersString() != `device="sw1"` || ws[0].Comment != "换电池" {
		t.Errorf("first window %+v", ws[0])
	}
	if ws[1].MatchersString() != `site="central" class="switch"` || ws[1].StateAt(e.tk.Clock.Now()) != silence.StatePending {
		t.Errorf("second window %s, %s", ws[1].MatchersString(), ws[1].StateAt(e.tk.Clock.Now()))
	}
	_, body = get(t, duty, e.srv.URL+"/maintenance")
	if strings.Count(body, `data-window=`) != 2 || !strings.Contains(body, "生效中") || !strings.Contains(body, "未开始") || strings.Contains(body, "/expire") {
		t.Errorf("viewer's list:\n%s", body)
	}
	if resp, _ := csrfPost(t, duty, e.srv.URL, "/maintenance", "/maintenance/"+ws[0].ID+"/expire", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer expires: %d, want 403", resp.StatusCode)
	}
	if resp, _ := csrfPost(t, eng, e.srv.URL, "/maintenance", "/maintenance/"+ws[0].ID+"/expire", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("expire: %d", resp.StatusCode)
	}
	if w, _ := set.Get(ws[0].ID); w.StateAt(e.tk.Clock.Now()) != silence.StateExpired {
		t.Errorf("expired window is %s", w.StateAt(e.tk.Clock.Now()))
	}
	if resp, _ := csrfPost(t, eng, e.srv.URL, "/maintenance", "/maintenance/"+ws[0].ID+"/expire", url.Values{}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("expire twice: %d, want 404", resp.StatusCode)
	}
	_, body = get(t, eng, e.srv.URL+"/maintenance")
	if strings.Count(body, `data-window=`) != 1 {
		t.Errorf("an expired window is still listed:\n%s", body)
	}
}

func shanghai(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}
