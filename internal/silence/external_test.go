package silence

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

func amtool(t *testing.T, url string, args ...string) string {
	t.Helper()
	bin := testutil.LookBinary(t, "amtool")
	out, err := exec.Command(bin, append([]string{"--alertmanager.url=" + url}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("amtool %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestExternalAlertmanagerSilences(t *testing.T) {
	t.Parallel()
	am := testutil.StartAlertmanager(t, "")
	clk := clockwork.NewFakeClockAt(time.Now())
	ext, err := NewExternal(ExternalOptions{URL: am, Clock: clk, Interval: time.Second, MaxStale: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ups := map[string]string{"alertname": "UPSOnBattery", "device": "ups1", "site": "hq"}
	sw := map[string]string{"alertname": "NetworkDeviceDown", "device": "sw1", "site": "branch"}
	if err := ext.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := ext.Silenced(ups, clk.Now()); ok {
		t.Fatal("silenced before any silence exists")
	}
	id := amtool(t, am, "silence", "add", `device=~"ups.*"`, `site="hq"`, "--comment=停电检修 power work", "--author=li", "--duration=1h")
	if err := ext.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Second) // past the silence's start (the Alertmanager's real now)
	if got, ok := ext.Silenced(ups, clk.Now()); !ok || got != id {
		t.Fatalf("UPS under the Alertmanager's silence %s: %q %v", id, got, ok)
	}
	if _, ok := ext.Silenced(sw, clk.Now()); ok {
		t.Fatal("the switch silenced too")
	}
	if a := ext.Active(); len(a) != 1 || a[0].Source != am || a[0].CreatedBy != "li" {
		t.Fatalf("Active: %+v", a)
	}
	// The Alertmanager out of reach: its silences count for MaxStale, then not.
	clk.Advance(30 * time.Second)
	if _, ok := ext.Silenced(ups, clk.Now()); !ok {
		t.Fatal("silence dropped before MaxStale")
	}
	clk.Advance(2 * time.Minute)
	if _, ok := ext.Silenced(ups, clk.Now()); ok {
		t.Fatal("a stale poll still silences")
	}
	amtool(t, am, "silence", "expire", id)
	if err := ext.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := ext.Silenced(ups, clk.Now()); ok {
		t.Fatal("silenced after amtool expired it")
	}
}
