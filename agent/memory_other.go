//go:build !linux

package agent

import (
	"context"

	"github.com/shirou/gopsutil/v4/mem"
)

// memorySource maps gopsutil's figures onto the /proc/meminfo names that
// node_exporter dashboards use.
type memorySource struct {
	descs memoryDescs
}

func newMemorySource(sourceEnv) (source, error) { return &memorySource{descs: memoryDescs{}}, nil }

func (s *memorySource) update(ctx context.Context, out *sink) error {
	vm, err := mem.VirtualMemoryWithContext(ctx)
	if err != nil {
		return err
	}
	for _, f := range []struct {
		key string
		v   uint64
	}{
		{"MemTotal", vm.Total}, {"MemAvailable", vm.Available}, {"MemFree", vm.Free},
		{"Buffers", vm.Buffers}, {"Cached", vm.Cached},
	} {
		out.gauge(s.descs.get(f.key, true), float64(f.v))
	}
	sw, err := mem.SwapMemoryWithContext(ctx)
	if err != nil {
		return err
	}
	out.gauge(s.descs.get("SwapTotal", true), float64(sw.Total))
	out.gauge(s.descs.get("SwapFree", true), float64(sw.Free))
	return nil
}
