package agent

import (
	"context"
	"os"
	"runtime"
	"testing"
)

// TestReadHostBasicsFixture reads the host description from testdata/root
// (the values gopsutil gave before the Linux build stopped linking it).
func TestReadHostBasicsFixture(t *testing.T) {
	t.Parallel()
	hb, err := readHostBasics(context.Background(), "testdata/root")
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	want := hostBasics{
		hostname: host, os: "linux", platform: "debian", platformVersion: "12.11",
		kernel: hb.kernel, arch: hb.arch, cpuModel: "Intel(R) Xeon(R) Silver 4210R CPU @ 2.40GHz",
		cpus: 2, memTotal: 24683620 * 1024, bootTime: 1700000000,
	}
	if hb != want {
		t.Errorf("readHostBasics =\n%+v\nwant\n%+v", hb, want)
	}
	if hb.kernel == "" || hb.arch == "" {
		t.Errorf("kernel %q, arch %q: uname gave nothing", hb.kernel, hb.arch)
	}
	if _, err := readHostBasics(context.Background(), t.TempDir()); err == nil {
		t.Error("no /proc/stat: no error")
	}
}

// TestReadHostBasicsLive checks the live host against what the Go runtime knows.
func TestReadHostBasicsLive(t *testing.T) {
	t.Parallel()
	hb, err := readHostBasics(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if hb.bootTime <= 0 || hb.cpus < runtime.NumCPU() || hb.memTotal == 0 || hb.platform == "" {
		t.Errorf("implausible host description: %+v", hb)
	}
}
