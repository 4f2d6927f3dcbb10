package agent

import (
	"context"

	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
)

// loadSource reports the load averages: /proc/loadavg on Linux; elsewhere
// gopsutil's (on Windows an estimate from the processor queue length).
type loadSource struct {
	load1, load5, load15 *prometheus.Desc

	path string
	r    fileReader
}

func newLoadSource(env sourceEnv) (source, error) {
	return &loadSource{
		load1:  desc("node_load1", "1m load average."),
		load5:  desc("node_load5", "5m load average."),
		load15: desc("node_load15", "15m load average."),
		path:   filepath.Join(env.root, "/proc/loadavg"),
	}, nil
}

func (s *loadSource) update(ctx context.Context, out *sink) error {
	a, err := s.read(ctx)
	if err != nil {
		return err
	}
	out.gauge(s.load1, a[0])
	out.gauge(s.load5, a[1])
	out.gauge(s.load15, a[2])
	return nil
}
