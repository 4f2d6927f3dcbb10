//go:build !linux

package agent

import (
	"context"

	"github.com/shirou/gopsutil/v4/disk"
)

// diskIOSource uses gopsutil (performance counters on Windows).
type diskIOSource struct {
	d   diskDescs
	cfg *Config
}

func newDiskIOSource(env sourceEnv) (source, error) {
	return &diskIOSource{d: newDiskDescs(), cfg: env.cfg}, nil
}

func (s *diskIOSource) update(ctx context.Context, out *sink) error {
	stats, err := disk.IOCountersWithContext(ctx)
	if err != nil {
		return err
	}
	d := &s.d
	for _, dev := range sortedKeys(stats) {
		if s.cfg.DiskIO.DevicesExclude.match(dev) {
			continue
		}
		st := stats[dev]
		out.counter(d.readsCompleted, float64(st.ReadCount), dev)
		out.counter(d.readsMerged, float64(st.MergedReadCount), dev)
		out.counter(d.readBytes, float64(st.ReadBytes), dev)
		out.counter(d.readTime, float64(st.ReadTime)/1000, dev)
		out.counter(d.writesCompleted, float64(st.WriteCount), dev)
		out.counter(d.writesMerged, float64(st.MergedWriteCount), dev)
		out.counter(d.writtenBytes, float64(st.WriteBytes), dev)
		out.counter(d.writeTime, float64(st.WriteTime)/1000, dev)
		out.gauge(d.ioNow, float64(st.IopsInProgress), dev)
		out.counter(d.ioTime, float64(st.IoTime)/1000, dev)
		out.counter(d.ioTimeWeighted, float64(st.WeightedIO)/1000, dev)
	}
	return nil
}
