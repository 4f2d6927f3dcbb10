//go:build !linux

package agent

import (
	"context"
	"slices"

	"github.com/shirou/gopsutil/v4/net"
)

// netdevSource uses gopsutil; Windows reports fewer counters than Linux.
type netdevSource struct {
	d   netDescs
	cfg *Config
}

func newNetdevSource(env sourceEnv) (source, error) {
	return &netdevSource{d: newNetDescs(), cfg: env.cfg}, nil
}

func (s *netdevSource) update(ctx context.Context, out *sink) error {
	counters, err := net.IOCountersWithContext(ctx, true)
	if err != nil {
		return err
	}
	for _, c := range counters {
		if s.cfg.Netdev.DevicesExclude.match(c.Name) {
			continue
		}
		for i, v := range map[int]uint64{0: c.BytesRecv, 1: c.PacketsRecv, 2: c.Errin, 3: c.Dropin,
			8: c.BytesSent, 9: c.PacketsSent, 10: c.Errout, 11: c.Dropout} {
			out.counter(s.d.counters[i], float64(v), c.Name)
		}
	}
	ifaces, err := net.InterfacesWithContext(ctx)
	if err != nil {
		return err
	}
	for _, ifc := range ifaces {
		if s.cfg.Netdev.DevicesExclude.match(ifc.Name) {
			continue
		}
		up, state := 0.0, "down"
		if slices.Contains(ifc.Flags, "up") {
			up, state = 1, "up"
		}
		out.gauge(s.d.up, up, ifc.Name)
		out.gauge(s.d.mtu, float64(ifc.MTU), ifc.Name)
		out.gauge(s.d.info, 1, ifc.Name, ifc.HardwareAddr, state, "")
	}
	return nil
}
