//go:build !linux

package agent

import (
	"context"
	"strings"

	"github.com/shirou/gopsutil/v4/disk"
)

// platformMounts lists the volumes through gopsutil (drive letters on Windows).
func platformMounts(string) func(context.Context) ([]mount, error) {
	return func(ctx context.Context) ([]mount, error) {
		parts, err := disk.PartitionsWithContext(ctx, false)
		if err != nil {
			return nil, err
		}
		out := make([]mount, 0, len(parts))
		for _, p := range parts {
			ro := false
			for _, o := range p.Opts {
				if o == "ro" || strings.EqualFold(o, "readonly") {
					ro = true
				}
			}
			out = append(out, mount{device: p.Device, mountPoint: p.Mountpoint, fsType: p.Fstype, readOnly: ro})
		}
		return out, nil
	}
}

func platformStatFS(path string) (fsStats, error) {
	u, err := disk.Usage(path)
	if err != nil {
		return fsStats{}, err
	}
	return fsStats{
		size:      float64(u.Total),
		free:      float64(u.Free),
		avail:     float64(u.Free),
		files:     float64(u.InodesTotal),
		filesFree: float64(u.InodesFree),
	}, nil
}
