//go:build !linux

package agent

import (
	"context"
	"strconv"
	"strings"

	"github.com/shirou/gopsutil/v4/cpu"
)

// cpuSource uses gopsutil where there is no /proc (Windows).
type cpuSource struct {
	d cpuDescs
}

func newCPUSource(sourceEnv) (source, error) { return &cpuSource{d: newCPUDescs()}, nil }

func (s *cpuSource) update(ctx context.Context, out *sink) error {
	times, err := cpu.TimesWithContext(ctx, true)
	if err != nil {
		return err
	}
	for i, t := range times {
		name := strings.TrimPrefix(t.CPU, "cpu")
		if name == "" || name == t.CPU {
			name = strconv.Itoa(i)
		}
		s.d.emitCPU(out, &cpuTimes{cpu: name, user: t.User, nice: t.Nice, system: t.System, idle: t.Idle,
			iowait: t.Iowait, irq: t.Irq, softirq: t.Softirq, steal: t.Steal})
	}
	out.gauge(s.d.count, float64(len(times)))
	return nil
}
