package agent

import (
	"context"
	"path/filepath"
)

// cpuSource reads /proc/stat itself: one file, no per-CPU allocations.
type cpuSource struct {
	d    cpuDescs
	path string
	r    fileReader
	st   procStat
}

func newCPUSource(env sourceEnv) (source, error) {
	return &cpuSource{d: newCPUDescs(), path: filepath.Join(env.root, "/proc/stat")}, nil
}

func (s *cpuSource) update(_ context.Context, out *sink) error {
	data, err := s.r.read(s.path)
	if err != nil {
		return err
	}
	if err := parseStat(string(data), &s.st); err != nil {
		return err
	}
	for i := range s.st.cpus {
		t := &s.st.cpus[i]
		s.d.emitCPU(out, t)
		// Like node_exporter: guest time is also counted in user and nice.
		out.counter(s.d.guest, t.guest, t.cpu, "user")
		out.counter(s.d.guest, t.guestNice, t.cpu, "nice")
	}
	out.gauge(s.d.count, float64(len(s.st.cpus)))
	out.counter(s.d.intr, s.st.intr)
	out.counter(s.d.ctxt, s.st.ctxt)
	out.counter(s.d.forks, s.st.forks)
	out.gauge(s.d.running, s.st.running)
	out.gauge(s.d.blocked, s.st.blocked)
	return nil
}
