package camera

import (
	"context"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe/devsim"
)

// BenchmarkISAPICheck compares one ISAPI check (five digest-authenticated
// GETs and their parsing) with the anchor an engineer would script: one curl
// --digest process fetching the same five URLs from the same simulated NVR.
func BenchmarkISAPICheck(b *testing.B) {
	dev := &devsim.Device{Vendor: "hikvision", User: "admin", Pass: "pw", Model: "DS-7608NI-K2",
		Disks: []devsim.Disk{{Status: "ok", CapacityMB: 1000, FreeMB: 1}}, Channels: make([]devsim.Channel, 8)}
	srv := httptest.NewServer(dev)
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	d := &inventory.Device{Name: "nvr", Class: inventory.ClassNVR, Address: addr, HTTP: &inventory.HTTPAuth{Username: "admin", Password: "pw"}}
	tg := inventory.Target{Device: d, Name: "nvr", Address: addr}
	b.Run("roomwatch", func(b *testing.B) {
		for b.Loop() {
			if r := (ISAPI{}).Probe(context.Background(), tg); r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	})
	b.Run("curl", func(b *testing.B) {
		curl, err := exec.LookPath("curl")
		if err != nil {
			b.Skip("curl not installed")
		}
		args := []string{"-sf", "--digest", "-u", "admin:pw"}
		for _, p := range []string{"/ISAPI/System/deviceInfo", "/ISAPI/ContentMgmt/Storage/hdd", "/ISAPI/ContentMgmt/InputProxy/channels/status", "/ISAPI/ContentMgmt/record/tracks", "/ISAPI/System/time"} {
			args = append(args, "-o", "/dev/null", srv.URL+p)
		}
		for b.Loop() {
			if out, err := exec.Command(curl, args...).CombinedOutput(); err != nil {
				b.Fatalf("curl: %v %s", err, out)
			}
		}
	})
}
