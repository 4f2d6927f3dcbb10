package agent

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
)

// netdevSource reads /proc/net/dev and each interface's /sys/class/net entry.
type netdevSource struct {
	d    netDescs
	cfg  *Config
	root string
	path string
	r    fileReader
	sys  fileReader
}

func newNetdevSource(env sourceEnv) (source, error) {
	return &netdevSource{d: newNetDescs(), cfg: env.cfg, root: env.root, path: filepath.Join(env.root, "/proc/net/dev")}, nil
}

func (s *netdevSource) update(_ context.Context, out *sink) error {
	data, err := s.r.read(s.path)
	if err != nil {
		return err
	}
	return parseNetDev(string(data), func(dev string, v *[16]float64) {
		if s.cfg.Netdev.DevicesExclude.match(dev) {
			return
		}
		for i, x := range v {
			out.counter(s.d.counters[i], x, dev)
		}
		s.link(out, dev)
	})
}

// link reports what /sys/class/net/DEV says about the link; files the driver
// does not provide (speed of a virtual interface) are left out.
func (s *netdevSource) link(out *sink, dev string) {
	dir := filepath.Join(s.root, "/sys/class/net", dev)
	operstate := s.readString(filepath.Join(dir, "operstate"))
	if operstate == "" {
		return // no sysfs (a container without /sys) or the interface just went away
	}
	up := 0.0
	if operstate == "up" {
		up = 1
	}
	out.gauge(s.d.up, up, dev)
	if mbps, err := strconv.ParseFloat(s.readString(filepath.Join(dir, "speed")), 64); err == nil && mbps >= 0 {
		out.gauge(s.d.speed, mbps*1000*1000/8, dev)
	}
	if mtu, err := strconv.ParseFloat(s.readString(filepath.Join(dir, "mtu")), 64); err == nil {
		out.gauge(s.d.mtu, mtu, dev)
	}
	out.gauge(s.d.info, 1, dev, s.readString(filepath.Join(dir, "address")), operstate, s.readString(filepath.Join(dir, "duplex")))
}

// readString returns a sysfs attribute without its newline, "" when unreadable.
func (s *netdevSource) readString(path string) string {
	b, err := s.sys.read(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
