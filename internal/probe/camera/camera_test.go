package camera

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe"
	"github.com/roomwatch/roomwatch/internal/probe/devsim"
)

// serve starts dev on loopback and returns a target pointing at it.
func serve(t *testing.T, dev http.Handler, vendor, pass string) inventory.Target {
	t.Helper()
	srv := httptest.NewServer(dev)
	t.Cleanup(srv.Close)
	addr := strings.TrimPrefix(srv.URL, "http://")
	d := &inventory.Device{Name: "nvr1", Class: inventory.ClassNVR, Address: addr, Vendor: vendor,
		HTTP: &inventory.HTTPAuth{Username: "admin", Password: inventory.Secret(pass)}}
	return inventory.Target{Device: d, Name: d.Name, Address: addr}
}

// values returns name{label=…} → value for the samples of r.
func values(r probe.Result) map[string]float64 {
	out := map[string]float64{}
	for _, s := range r.Samples {
		key := s.Name
		var parts []string
		for k, v := range s.Labels {
			parts = append(parts, k+"="+v)
		}
		if len(parts) > 0 {
			sortStrings(parts)
			key += "{" + strings.Join(parts, ",") + "}"
		}
		out[key] = s.Value
	}
	return out
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestVendorAPIs(t *testing.T) {
	t.Parallel()
	fc := clockwork.NewFakeClockAt(time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC))
	tests := []struct {
		name       string
		dev        *devsim.Device
		pass       string
		prober     probe.Prober
		wantReason string
		want       map[string]float64
		wantReqs   []string
	}{
		{
			name: "hikvision nvr healthy, sha-256",
			dev: &devsim.Device{Vendor: "hikvision", User: "admin", Pass: "Hik12345", Algorithm: "SHA-256", Model: "DS-7608NI-K2", Serial: "DS-7608NI-K20820200101CCRR", Firmware: "V4.30.085",
				Disks: []devsim.Disk{{Status: "ok", CapacityMB: 3815447, FreeMB: 0}}, Channels: []devsim.Channel{{Online: true, Recording: true}, {Online: false, Recording: true}},
				ClockAhead: 90 * time.Second, Clock: fc},
			pass: "Hik12345", prober: ISAPI{Clock: fc},
			want: map[string]float64{
				"roomwatch_nvr_disks": 1, "roomwatch_nvr_disk_ok{disk=1}": 1, "roomwatch_nvr_disk_capacity_bytes{disk=1}": 3815447 * 1024 * 1024,
				"roomwatch_nvr_channel_online{channel=1}": 1, "roomwatch_nvr_channel_online{channel=2}": 0,
				"roomwatch_nvr_channel_recording_enabled{channel=2}": 1, "roomwatch_device_clock_offset_seconds": 90,
				"roomwatch_device_reported_info{firmware=V4.30.085,reported_model=DS-7608NI-K2,reported_vendor=hikvision,serial=DS-7608NI-K20820200101CCRR}": 1,
			},
			wantReqs: []string{"GET /ISAPI/System/deviceInfo", "GET /ISAPI/ContentMgmt/Storage/hdd", "GET /ISAPI/ContentMgmt/InputProxy/channels/status", "GET /ISAPI/ContentMgmt/record/tracks", "GET /ISAPI/System/time"},
		},
		{
			name: "hikvision legacy storage, failed disk, old namespace",
			dev: &devsim.Device{Vendor: "hikvision", User: "admin", Pass: "pw", Model: "DS-7816N", LegacyStorage: true, Namespace: "http://www.std-cgi.com/ver20/XMLSchema",
				Disks: []devsim.Disk{{Status: "ok", CapacityMB: 100, FreeMB: 50}, {Status: "smartFailed", CapacityMB: 100, FreeMB: 0}}, ClockAhead: -3 * time.Second, Clock: fc},
			pass: "pw", prober: ISAPI{Clock: fc},
			want: map[string]float64{"roomwatch_nvr_disk_ok{disk=1}": 1, "roomwatch_nvr_disk_ok{disk=2}": 0, "roomwatch_nvr_disk_status_info{disk=2,status=smartfailed}": 1,
				"roomwatch_nvr_disk_free_bytes{disk=1}": 50 * 1024 * 1024, "roomwatch_device_clock_offset_seconds": -3},
			wantReqs: []string{"GET /ISAPI/ContentMgmt/Storage/hdd", "GET /ISAPI/ContentMgmt/storage"},
		},
		{
			name: "hikvision wrong password",
			dev:  &devsim.Device{Vendor: "hikvision", User: "admin", Pass: "right", Model: "x"},
			pass: "wrong", prober: ISAPI{Clock: fc}, wantReason: probe.ReasonAuth,
		},
		{
			name: "dahua nvr, one disk in error, channel 2 not recording",
			dev: &devsim.Device{Vendor: "dahua", User: "admin", Pass: "dh123456", Model: "DHI-NVR4208-8P-4KS2", Serial: "4L0A1B2PAZ00000",
				Disks:    []devsim.Disk{{Status: "Success", CapacityMB: 1000, FreeMB: 400}, {Status: "Error", CapacityMB: 2000, FreeMB: 2000}},
				Channels: []devsim.Channel{{Recording: true}, {Recording: false}}, ClockAhead: 125 * time.Second, Clock: fc},
			pass: "dh123456", prober: Dahua{Clock: fc},
			want: map[string]float64{"roomwatch_nvr_disks": 2, "roomwatch_nvr_disk_ok{disk=1}": 1, "roomwatch_nvr_disk_ok{disk=2}": 0,
				"roomwatch_nvr_disk_free_bytes{disk=1}": 400 << 20, "roomwatch_nvr_disk_capacity_bytes{disk=2}": 2000 << 20,
				"roomwatch_nvr_channel_recording_enabled{channel=1}": 1, "roomwatch_nvr_channel_recording_enabled{channel=2}": 0,
				"roomwatch_device_clock_offset_seconds": 125},
			wantReqs: []string{"GET /cgi-bin/magicBox.cgi?action=getSystemInfo", "GET /cgi-bin/storageDevice.cgi?action=getDeviceAllInfo",
				"GET /cgi-bin/configManager.cgi?action=getConfig&name=RecordMode", "GET /cgi-bin/global.cgi?action=getCurrentTime"},
		},
		{
			name: "dahua wrong password", dev: &devsim.Device{Vendor: "dahua", User: "admin", Pass: "a"}, pass: "b",
			prober: Dahua{Clock: fc}, wantReason: probe.ReasonAuth,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg := serve(t, tc.dev, tc.dev.Vendor, tc.pass)
			r := tc.prober.Probe(context.Background(), tg)
			if got := probe.Reason(r.Err); got != tc.wantReason {
				t.Fatalf("reason %q (err %v), want %q", got, r.Err, tc.wantReason)
			}
			got := values(r)
			for k, want := range tc.want {
				v, ok := got[k]
				if !ok {
					t.Errorf("missing %s; have %v", k, got)
					continue
				}
				if math.Abs(v-want) > 1e-6 {
					t.Errorf("%s = %v, want %v", k, v, want)
				}
			}
			reqs := strings.Join(tc.dev.Requests(), "\n")
			for _, w := range tc.wantReqs {
				if !strings.Contains(reqs+"\n", w+"\n") {
					t.Errorf("device did not see %q; saw:\n%s", w, reqs)
				}
			}
			if tc.wantReason == "" {
				if errs := tc.dev.Errors(); len(errs) > 0 {
					t.Errorf("device rejected requests: %v", errs)
				}
			}
		})
	}
}

func TestCheckpointUploadDir(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	fc := clockwork.NewFakeClockAt(now)
	dir := t.TempDir()
	mk := func(rel string, mod time.Time) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("jpeg"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	mk("2026/11/21/23/plate-1.jpg", now.Add(-10*time.Hour))
	mk("2026/11/22/09/plate-2.jpg", now.Add(-7*time.Minute))
	mk("2026/11/22/09/plate-3.jpg", now.Add(-4*time.Minute))
	mk("2026/11/22/09/.upload.tmp", now.Add(-1*time.Second)) // partial upload: ignored
	mk("old/archive.jpg", now.Add(-48*time.Hour))
	// As on a real upload server, a directory's mtime is when its newest entry
	// was added; "old" sorts after "2026", so both descent rules are needed.
	settle(t, dir)

	// The clock comes from the Date header of the device's web page.
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", now.Add(30*time.Second).Format(http.TimeFormat))
	}))
	defer web.Close()
	addr := strings.TrimPrefix(web.URL, "http://")
	d := &inventory.Device{Name: "kk-01", Class: inventory.ClassCheckpoint, Address: addr, Probe: inventory.ProbeOptions{UploadDir: dir}}
	r := Checkpoint{Clock: fc}.Probe(context.Background(), inventory.Target{Device: d, Name: d.Name, Address: addr})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	v := values(r)
	if got := v["roomwatch_checkpoint_capture_age_seconds"]; got != 240 {
		t.Errorf("capture age %v, want 240", got)
	}
	if got := v["roomwatch_device_clock_offset_seconds"]; got != 30 {
		t.Errorf("clock offset %v, want 30", got)
	}

	// A missing directory is a configuration error; an empty one has no captures.
	d.Probe.UploadDir = filepath.Join(dir, "nope")
	if r := (Checkpoint{Clock: fc}).Probe(context.Background(), inventory.Target{Device: d, Name: d.Name, Address: addr}); probe.Reason(r.Err) != probe.ReasonConfig {
		t.Errorf("missing dir: reason %q (%v)", probe.Reason(r.Err), r.Err)
	}
	d.Probe.UploadDir = t.TempDir()
	r = Checkpoint{Clock: fc}.Probe(context.Background(), inventory.Target{Device: d, Name: d.Name, Address: addr})
	if r.Err != nil || values(r)["roomwatch_checkpoint_captures_present"] != 0 || len(r.Samples) < 2 {
		t.Errorf("empty dir: %v %v", r.Err, values(r))
	}
}

func TestCheckpointCaptureURLAndISAPIClock(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	fc := clockwork.NewFakeClockAt(now)
	dev := &devsim.Device{Vendor: "hikvision", User: "admin", Pass: "pw", Clock: fc, ClockAhead: -70 * time.Second}
	mux := http.NewServeMux()
	mux.Handle("/ISAPI/", dev)
	mux.HandleFunc("/latest", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(now.Add(-95*time.Second).In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04:05") + "\n"))
	})
	tg := serve(t, mux, "Hikvision", "pw")
	tg.Device.Class = inventory.ClassCheckpoint
	tg.Device.Probe.CaptureURL = "http://" + tg.Address + "/latest"
	r := Checkpoint{Clock: fc}.Probe(context.Background(), tg)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	v := values(r)
	if v["roomwatch_checkpoint_capture_age_seconds"] != 95 || v["roomwatch_device_clock_offset_seconds"] != -70 {
		t.Errorf("got %v", v)
	}
}

func TestParseISAPITimeZones(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ body, want string }{
		{`<Time><localTime>2026-11-22T19:11:00+08:00</localTime></Time>`, "2026-11-22T11:11:00Z"},
		{`<Time><localTime>2026-11-22T19:11:00</localTime><timeZone>CST-8:00:00</timeZone></Time>`, "2026-11-22T11:11:00Z"},
		{`<Time><localTime>2026-11-22T01:00:00</localTime><timeZone>EST+5EDT,M3.2.0,M11.1.0</timeZone></Time>`, "2026-11-22T06:00:00Z"},
	} {
		got, err := ParseISAPITime([]byte(tc.body))
		if err != nil || got.UTC().Format(time.RFC3339) != tc.want {
			t.Errorf("%s: %v %v, want %s", tc.body, got.UTC(), err, tc.want)
		}
	}
}

func FuzzParseISAPI(f *testing.F) {
	f.Add([]byte(`<hddList version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema"><hdd><id>1</id><status>ok</status><capacity>3815447</capacity><freeSpace>0</freeSpace></hdd></hddList>`))
	f.Add([]byte(`<storage><hddList><hdd><id>1</id><status>error</status><capacity>1</capacity></hdd></hddList></storage>`))
	f.Add([]byte(`<DeviceInfo><model>DS-2CD</model></DeviceInfo>`))
	f.Add([]byte(`<TrackList><Track><id>101</id><Channel>1</Channel><Enable>true</Enable></Track></TrackList>`))
	f.Add([]byte(`<InputProxyChannelStatusList><InputProxyChannelStatus><id>1</id><online>false</online></InputProxyChannelStatus></InputProxyChannelStatusList>`))
	f.Add([]byte(`<Time><localTime>2026-11-22T19:11:00</localTime><timeZone>CST-8:00:00</timeZone></Time>`))
	f.Add([]byte(`<html><body>login</body></html>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if disks, err := ParseISAPIStorage(b); err == nil {
			for _, d := range disks {
				if d.Status == "" || d.CapacityBytes < 0 || d.FreeBytes < 0 {
					t.Fatalf("bad disk %+v", d)
				}
			}
		}
		ParseISAPIDeviceInfo(b)
		ParseISAPITracks(b)
		ParseISAPIChannelStatus(b)
		ParseISAPITime(b)
	})
}

func FuzzParseDahua(f *testing.F) {
	f.Add([]byte("list.info[0].Detail[0].IsError=false\r\nlist.info[0].Detail[0].TotalBytes=1000.000000\r\nlist.info[0].Detail[0].UsedBytes=10.0\r\nlist.info[0].State=Success\r\n"))
	f.Add([]byte("table.RecordMode[0].Mode=0\ntable.RecordMode[1].Mode=2\n"))
	f.Add([]byte("result=2026-11-22 19:11:00\n"))
	f.Add([]byte("Error\r\nBad Request!\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		kv, err := ParseKV(b)
		if err != nil {
			return
		}
		if disks, err := ParseDahuaStorage(kv); err == nil {
			for _, d := range disks {
				if d.FreeBytes < 0 || d.Status == "" {
					t.Fatalf("bad disk %+v", d)
				}
			}
		}
		ParseDahuaRecordMode(kv)
		ParseDahuaTime(kv, time.UTC)
		ParseTimestamp(string(b), time.UTC)
	})
}

// settle sets every directory's mtime to its newest entry's, bottom-up.
func settle(t *testing.T, dir string) time.Time {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var newest time.Time
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		var m time.Time
		if e.IsDir() {
			m = settle(t, p)
		} else {
			info, _ := e.Info()
			m = info.ModTime()
		}
		if m.After(newest) {
			newest = m
		}
	}
	if !newest.IsZero() {
		os.Chtimes(dir, newest, newest)
	}
	return newest
}
