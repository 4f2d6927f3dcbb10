package agent

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shirou/gopsutil/v4/load"
)

// loadSource reports the load averages (on Windows, gopsutil's estimate from
// the processor queue length).
type loadSource struct {
	load1, load5, load15 *prometheus.Desc
}

func newLoadSource(sourceEnv) (source, error) {
	return &loadSource{
		load1:  desc("node_load1", "1m load average."),
		load5:  desc("node_load5", "5m load average."),
		load15: desc("node_load15", "15m load average."),
	}, nil
}

func (s *loadSource) update(ctx context.Context, out *sink) error {
	a, err := load.AvgWithContext(ctx)
	if err != nil {
		return err
	}
	out.gauge(s.load1, a.Load1)
	out.gauge(s.load5, a.Load5)
	out.gauge(s.load15, a.Load15)
	return nil
}
