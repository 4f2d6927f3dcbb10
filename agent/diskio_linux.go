package agent

import (
	"context"
	"path/filepath"
)

// diskSectorSize is the unit of /proc/diskstats sector counts, always 512.
const diskSectorSize = 512

// diskIOSource reads /proc/diskstats.
type diskIOSource struct {
	d    diskDescs
	cfg  *Config
	path string
	r    fileReader
}

func newDiskIOSource(env sourceEnv) (source, error) {
	return &diskIOSource{d: newDiskDescs(), cfg: env.cfg, path: filepath.Join(env.root, "/proc/diskstats")}, nil
}

func (s *diskIOSource) update(_ context.Context, out *sink) error {
	data, err := s.r.read(s.path)
	if err != nil {
		return err
	}
	d := &s.d
	return parseDiskstats(string(data), func(dev string, v []float64) {
		if s.cfg.DiskIO.DevicesExclude.match(dev) {
			return
		}
		out.counter(d.readsCompleted, v[0], dev)
		out.counter(d.readsMerged, v[1], dev)
		out.counter(d.readBytes, v[2]*diskSectorSize, dev)
		out.counter(d.readTime, v[3]/1000, dev)
		out.counter(d.writesCompleted, v[4], dev)
		out.counter(d.writesMerged, v[5], dev)
		out.counter(d.writtenBytes, v[6]*diskSectorSize, dev)
		out.counter(d.writeTime, v[7]/1000, dev)
		out.gauge(d.ioNow, v[8], dev)
		out.counter(d.ioTime, v[9]/1000, dev)
		out.counter(d.ioTimeWeighted, v[10]/1000, dev)
		if len(v) >= 15 { // Linux 4.18+
			out.counter(d.discardsCompleted, v[11], dev)
			out.counter(d.discardsMerged, v[12], dev)
			out.counter(d.discardedSectors, v[13], dev)
			out.counter(d.discardTime, v[14]/1000, dev)
		}
		if len(v) >= 17 { // Linux 5.5+
			out.counter(d.flushes, v[15], dev)
			out.counter(d.flushTime, v[16]/1000, dev)
		}
	})
}
