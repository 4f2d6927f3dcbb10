//go:build !linux

package agent

import (
	"context"
	"strings"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/mem"
)

// unameLabels returns nil: there is no uname(2) (Windows); roomwatch_host_info
// carries the same facts.
func unameLabels() []string { return nil }

// readHostBasics asks gopsutil for the host description.
func readHostBasics(ctx context.Context, _ string) (hostBasics, error) {
	hi, err := host.InfoWithContext(ctx)
	if err != nil {
		return hostBasics{}, err
	}
	hb := hostBasics{
		hostname: hi.Hostname, os: hi.OS, platform: hi.Platform, platformVersion: hi.PlatformVersion,
		kernel: hi.KernelVersion, arch: hi.KernelArch, bootTime: float64(hi.BootTime),
	}
	if ci, err := cpu.InfoWithContext(ctx); err == nil && len(ci) > 0 {
		hb.cpuModel = strings.TrimSpace(ci[0].ModelName)
	}
	hb.cpus, _ = cpu.CountsWithContext(ctx, true)
	if vm, err := mem.VirtualMemoryWithContext(ctx); err == nil {
		hb.memTotal = vm.Total
	}
	return hb, nil
}
