package cli

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomwatch/roomwatch/collector"
	"github.com/roomwatch/roomwatch/internal/probe/devsim"
	"github.com/roomwatch/roomwatch/internal/probe/scheduler"
	"github.com/roomwatch/roomwatch/internal/testutil"
)

// probeFixture starts a camera (RTSP, digest) and a Hikvision NVR (ISAPI) on
// loopback, reserves a port nothing listens on, and writes a config naming them.
func probeFixture(t *testing.T) string {
	t.Helper()
	cam := &devsim.RTSPServer{User: "admin", Pass: "Cam12345"}
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cam.Close)
	nvr := &devsim.Device{Vendor: "hikvision", User: "admin", Pass: "Nvr12345", Model: "DS-7608NI-K2", Serial: "S1", Firmware: "V4.30",
		Disks: []devsim.Disk{{Status: "ok", CapacityMB: 1000, FreeMB: 10}}, Channels: []devsim.Channel{{Online: true, Recording: true}}}
	srv := httptest.NewServer(nvr)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		if errs := append(cam.Errors(), nvr.Errors()...); len(errs) > 0 {
			t.Errorf("simulated devices saw bad requests: %v", errs)
		}
	})
	_, camPort, _ := net.SplitHostPort(cam.Addr())
	deadPort := testutil.FreePort(t)
	cfg := fmt.Sprintf(`global:
  site: hq
inventory:
  sites: [{name: hq, display_name: 指挥中心}]
  credentials:
    hik: {http: {username: admin, password: Nvr12345}}
  devices:
    - name: cam-gate
      display_name: 大门摄像机
      class: camera
      vendor: Hikvision
      address: 127.0.0.1
      site: hq
      probes: [rtsp]
      http: {username: admin, password: Cam12345}
      probe_options: {rtsp_port: %s}
    - name: nvr-01
      class: nvr
      vendor: 海康威视
      address: %s
      site: hq
      http: {credential: hik}
    - name: cam-dead
      class: camera
      address: 127.0.0.1
      site: hq
      probes: [tcp]
      probe_options: {tcp_ports: [%d]}
probes:
  intervals: {camera: 30s}
  timeout: 5s
`, camPort, strings.TrimPrefix(srv.URL, "http://"), deadPort)
	path := filepath.Join(t.TempDir(), "collector.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestProbeCommand(t *testing.T) {
	t.Parallel()
	cfg := probeFixture(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		stdout   []string
		stderr   []string
		notOut   []string
	}{
		{
			name: "camera and nvr answer", args: []string{"--device", "cam-gate,nvr-01"}, wantCode: 0,
			stdout: []string{
				`roomwatch_probe_up{class="camera",device="cam-gate",probe="rtsp",site="hq",vendor="Hikvision"} 1`,
				`roomwatch_probe_rtsp_video_streams{class="camera",device="cam-gate"`,
				`roomwatch_probe_up{class="nvr",device="nvr-01",probe="isapi",site="hq",vendor="海康威视"} 1`,
				`roomwatch_nvr_disk_ok{class="nvr",device="nvr-01",disk="1"`,
				`roomwatch_device_reported_info{class="nvr",device="nvr-01",firmware="V4.30",reported_model="DS-7608NI-K2",reported_vendor="hikvision",serial="S1",site="hq",vendor="海康威视"} 1`,
				`display_name="大门摄像机"`,
			},
			notOut: []string{"Nvr12345", "Cam12345"},
		},
		{
			name: "a dead device fails the run", args: nil, wantCode: 1,
			stdout: []string{`roomwatch_probe_up{class="camera",device="cam-dead",probe="tcp",site="hq"} 0`,
				`roomwatch_probe_error_info{class="camera",device="cam-dead",probe="tcp",reason="refused"`},
			stderr: []string{"设备无应答 / no answer: cam-dead tcp", "1 项探测失败，共 4 项 / 1 of 4 probes failed"},
		},
		{name: "unknown device", args: []string{"--device", "nope"}, wantCode: 2, stderr: []string{"找不到设备 / no such device"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(context.Background(), Env{Stdout: &out, Stderr: &errb}, append([]string{"probe", "--config", cfg}, tc.args...))
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.wantCode, out.String(), errb.String())
			}
			testutil.Contains(t, out.String(), tc.stdout...)
			testutil.Contains(t, errb.String(), tc.stderr...)
			for _, s := range tc.notOut {
				if strings.Contains(out.String()+errb.String(), s) {
					t.Errorf("output shows the secret %q", s)
				}
			}
		})
	}
}

func TestProbeCommandBadConfig(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "bad.yml")
	os.WriteFile(path, []byte("probes:\n  by_class: {camera: [telnet]}\n"), 0o600)
	var out, errb bytes.Buffer
	if code := Main(context.Background(), Env{Stdout: &out, Stderr: &errb}, []string{"probe", "--config", path}); code != 2 {
		t.Errorf("exit %d, want 2; stderr %s", code, errb.String())
	}
	testutil.Contains(t, errb.String(), "配置错误 / configuration error", "telnet")
}

// TestProbeBinary builds roomwatch-collector and runs `probe` against the
// loopback camera and 127.0.0.1 ping (when ICMP sockets are allowed).
func TestProbeBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	cfg := probeFixture(t)
	root, err := testutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "roomwatch-collector")
	build := exec.Command("go", "build", "-o", bin, "./collector/cmd/roomwatch-collector")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "probe", "--config", cfg, "--device", "cam-gate", "--timeout", "5s")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("probe: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	testutil.Contains(t, out.String(), `roomwatch_probe_up{class="camera",device="cam-gate",probe="rtsp",site="hq",vendor="Hikvision"} 1`)

	cmd = exec.Command(bin, "probe", "--config", cfg, "--device", "cam-dead")
	out.Reset()
	errb.Reset()
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("dead device: %v, want exit 1\nstderr:\n%s", err, errb.String())
	}
	testutil.Contains(t, errb.String(), "设备无应答 / no answer: cam-dead tcp")

	t.Run("icmp 127.0.0.1", func(t *testing.T) {
		testutil.RequireRoot(t)
		ping := filepath.Join(t.TempDir(), "ping.yml")
		os.WriteFile(ping, []byte("inventory:\n  devices:\n    - {name: lo, class: server, address: 127.0.0.1}\n"), 0o600)
		cmd := exec.Command(bin, "probe", "--config", ping)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("ping: %v\n%s\n%s", err, out.String(), errb.String())
		}
		testutil.Contains(t, out.String(), `roomwatch_probe_up{class="server",device="lo",probe="icmp"} 1`)

		// Unpaced, as fping -i 0 (deploy/dev/bench-fleet.sh compares the two).
		cmd = exec.Command(bin, "probe", "--config", ping, "--icmp.rate", "-1")
		out.Reset()
		errb.Reset()
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("ping unpaced: %v\n%s\n%s", err, out.String(), errb.String())
		}
		testutil.Contains(t, out.String(), `roomwatch_probe_up{class="server",device="lo",probe="icmp"} 1`)
	})
}

func TestProbeCommandBadICMPRate(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "ping.yml")
	os.WriteFile(path, []byte("inventory:\n  devices:\n    - {name: lo, class: server, address: 127.0.0.1}\n"), 0o600)
	var out, errb bytes.Buffer
	if code := Main(context.Background(), Env{Stdout: &out, Stderr: &errb}, []string{"probe", "--config", path, "--icmp.rate", "-2"}); code != 2 {
		t.Errorf("exit %d, want 2; stderr %s", code, errb.String())
	}
	testutil.Contains(t, errb.String(), "--icmp.rate -2")
}

func TestExampleConfigLoads(t *testing.T) {
	t.Parallel()
	root, err := testutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := collector.LoadConfig(filepath.Join(root, "deploy/examples/collector.yml"))
	if err != nil {
		t.Fatal(err)
	}
	targets, err := cfg.Inventory.Targets()
	if err != nil || len(targets) != 69 {
		t.Fatalf("%d targets, %v; want 69", len(targets), err)
	}
	jobs, _ := scheduler.Plan(targets, &cfg.Probes, func(string) bool { return true })
	if len(jobs) != 2*64+2+2+2+2+3 {
		t.Errorf("%d jobs planned", len(jobs))
	}
}
