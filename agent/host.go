package agent

import (
	"context"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/mem"
	gnet "github.com/shirou/gopsutil/v4/net"
)

// hostInfoTTL is how long the host description is reused: it changes rarely
// (an IP address, a kernel update) and reading it is the costliest part.
const hostInfoTTL = 5 * time.Minute

// hostSource reports boot time, uptime and the host description that feeds
// the asset inventory.
type hostSource struct {
	bootTime, now, uptime, info, address, uname *prometheus.Desc

	clock clockwork.Clock

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
	hi, err := host.InfoWithContext(ctx)
	if err != nil {
		return nil, err
	}
	f := &hostFacts{bootTime: float64(hi.BootTime), uname: unameLabels()}
	model := ""
	if ci, err := cpu.InfoWithContext(ctx); err == nil && len(ci) > 0 {
		model = strings.TrimSpace(ci[0].ModelName)
	}
	cpus, _ := cpu.CountsWithContext(ctx, true)
	memTotal := ""
	if vm, err := mem.VirtualMemoryWithContext(ctx); err == nil {
		memTotal = strconv.FormatUint(vm.Total, 10)
	}
	var ip, mac string
	if ifaces, err := gnet.InterfacesWithContext(ctx); err == nil {
		f.addresses, ip, mac = hostAddresses(ifaces)
	}
	f.info = []string{hi.Hostname, hi.OS, hi.Platform, hi.PlatformVersion, hi.KernelVersion, hi.KernelArch,
		model, strconv.Itoa(cpus), memTotal, ip, mac}
	s.cached, s.fetched = f, s.clock.Now()
	return f, nil
}

// hostAddresses lists every non-loopback address (device, address, mac) and
// picks the primary one: the first IPv4 address of an interface that is up,
// by interface name.
func hostAddresses(ifaces gnet.InterfaceStatList) (addrs [][3]string, ip, mac string) {
	sort.Slice(ifaces, func(i, j int) bool { return ifaces[i].Name < ifaces[j].Name })
	for _, ifc := range ifaces {
		up, loopback := false, false
		for _, fl := range ifc.Flags {
			up = up || fl == "up"
			loopback = loopback || fl == "loopback"
		}
		if loopback {
			continue
		}
		for _, a := range ifc.Addrs {
			addr, _, err := net.ParseCIDR(a.Addr)
			if err != nil {
				addr = net.ParseIP(a.Addr)
			}
			if addr == nil || addr.IsLoopback() || addr.IsLinkLocalUnicast() {
				continue
			}
			addrs = append(addrs, [3]string{ifc.Name, addr.String(), ifc.HardwareAddr})
			if ip == "" && up && addr.To4() != nil {
				ip, mac = addr.String(), ifc.HardwareAddr
			}
		}
	}
	return addrs, ip, mac
}
