package agent

import (
	"context"
	"net"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
)

// hostInfoTTL is how long the host description is reused: it changes rarely
// (an IP address, a kernel update) and reading it is the costliest part.
const hostInfoTTL = 5 * time.Minute

// hostSource reports boot time, uptime and the host description that feeds
// the asset inventory.
type hostSource struct {
	bootTime, now, uptime, info, address, uname *prometheus.Desc

	clock clockwork.Clock
	root  string

	mu      sync.Mutex
	cached  *hostFacts
	fetched time.Time
}

// hostFacts is the slowly changing part, refreshed every hostInfoTTL.
type hostFacts struct {
	bootTime  float64
	info      []string // roomwatch_host_info label values, in hostInfoLabels order
	addresses [][3]string
	uname     []string // nil where there is no uname(2)
}

func hostInfoLabels() []string {
	return []string{"hostname", "os", "platform", "platform_version", "kernel", "arch", "cpu_model", "cpus", "memory_bytes", "ip", "mac"}
}

func newHostSource(env sourceEnv) (source, error) {
	return &hostSource{
		bootTime: desc("node_boot_time_seconds", "Node boot time, in unixtime."),
		now:      desc("node_time_seconds", "System time in seconds since epoch (1970)."),
		uptime:   desc("roomwatch_host_uptime_seconds", "Seconds since the host booted."),
		info: desc("roomwatch_host_info", "Host description for the asset inventory; value is always 1. ip and mac are the first non-loopback IPv4 address and its interface's MAC.",
			hostInfoLabels()...),
		address: desc("roomwatch_host_address_info", "One IP address of the host with its interface and MAC; value is always 1.", "device", "address", "mac"),
		uname:   desc("node_uname_info", "Labeled system information as provided by the uname system call.", "sysname", "release", "version", "machine", "nodename", "domainname"),
		clock:   env.clock,
		root:    env.root,
	}, nil
}

func (s *hostSource) update(ctx context.Context, out *sink) error {
	f, err := s.facts(ctx)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	nowSec := float64(now.UnixNano()) / 1e9
	out.gauge(s.bootTime, f.bootTime)
	out.gauge(s.now, nowSec)
	out.gauge(s.uptime, nowSec-f.bootTime)
	out.gauge(s.info, 1, f.info...)
	for _, a := range f.addresses {
		out.gauge(s.address, 1, a[0], a[1], a[2])
	}
	if f.uname != nil {
		out.gauge(s.uname, 1, f.uname...)
	}
	return nil
}

func (s *hostSource) facts(ctx context.Context) (*hostFacts, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached != nil && s.clock.Since(s.fetched) < hostInfoTTL {
		return s.cached, nil
	}
	hb, err := readHostBasics(ctx, s.root)
	if err != nil {
		return nil, err
	}
	f := &hostFacts{bootTime: hb.bootTime, uname: unameLabels()}
	memTotal := ""
	if hb.memTotal > 0 {
		memTotal = strconv.FormatUint(hb.memTotal, 10)
	}
	var ip, mac string
	if ifaces, err := net.Interfaces(); err == nil {
		f.addresses, ip, mac = hostAddresses(ifaces)
	}
	f.info = []string{hb.hostname, hb.os, hb.platform, hb.platformVersion, hb.kernel, hb.arch,
		hb.cpuModel, strconv.Itoa(hb.cpus), memTotal, ip, mac}
	s.cached, s.fetched = f, s.clock.Now()
	return f, nil
}

// hostBasics is the host description read once per hostInfoTTL: from /proc,
// /etc/os-release and uname(2) on Linux, through gopsutil elsewhere.
type hostBasics struct {
	hostname, os, platform, platformVersion, kernel, arch, cpuModel string
	cpus                                                            int
	memTotal                                                        uint64
	bootTime                                                        float64
}

// hostAddresses lists every non-loopback address (device, address, mac) and
// picks the primary one: the first IPv4 address of an interface that is up,
// by interface name.
func hostAddresses(ifaces []net.Interface) (addrs [][3]string, ip, mac string) {
	sort.Slice(ifaces, func(i, j int) bool { return ifaces[i].Name < ifaces[j].Name })
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		up := ifc.Flags&net.FlagUp != 0
		ifAddrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		hw := ifc.HardwareAddr.String()
		for _, a := range ifAddrs {
			var addr net.IP
			switch v := a.(type) {
			case *net.IPNet:
				addr = v.IP
			case *net.IPAddr:
				addr = v.IP
			}
			if addr == nil || addr.IsLoopback() || addr.IsLinkLocalUnicast() {
				continue
			}
			addrs = append(addrs, [3]string{ifc.Name, addr.String(), hw})
			if ip == "" && up && addr.To4() != nil {
				ip, mac = addr.String(), hw
			}
		}
	}
	return addrs, ip, mac
}
