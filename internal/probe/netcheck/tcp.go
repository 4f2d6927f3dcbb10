package netcheck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe"
)

// DefaultTCPPorts are tried when a device gives neither tcp_ports nor a port
// in its address: the web interface and RTSP, open on every camera and NVR.
var defaultTCPPorts = []int{80, 554}

// TCP checks that a device accepts TCP connections on its ports.
type TCP struct {
	Clock clockwork.Clock // nil: the real clock
}

// Probe implements probe.Prober. The device is up when every port accepts.
func (c TCP) Probe(ctx context.Context, t inventory.Target) probe.Result {
	clock := orReal(c.Clock)
	r := probe.Result{Target: t, Probe: "tcp", Start: clock.Now()}
	defer func() { r.Duration = clock.Since(r.Start) }()
	host, port, err := probe.SplitAddress(t.Address)
	if err != nil {
		r.Err = err
		return r
	}
	ports := defaultTCPPorts
	if t.Device != nil && len(t.Device.Probe.TCPPorts) > 0 {
		ports = t.Device.Probe.TCPPorts
	} else if port != 0 {
		ports = []int{port}
	}
	var errs []error
	var d net.Dialer
	for _, p := range ports {
		lbl := map[string]string{"port": strconv.Itoa(p)}
		start := time.Now()
		conn, err := d.DialContext(ctx, "tcp", probe.JoinHostPort(host, p))
		if err != nil {
			r.Add("roomwatch_probe_tcp_port_open", probe.Gauge, 0, "Whether the port accepted a TCP connection (1) or not (0).", lbl)
			errs = append(errs, fmt.Errorf("tcp port %d: %w", p, err))
			continue
		}
		elapsed := time.Since(start)
		conn.Close()
		r.Add("roomwatch_probe_tcp_port_open", probe.Gauge, 1, "Whether the port accepted a TCP connection (1) or not (0).", lbl)
		r.Add("roomwatch_probe_tcp_connect_seconds", probe.Gauge, elapsed.Seconds(), "Time to establish the TCP connection.", lbl)
	}
	r.Err = errors.Join(errs...)
	if len(errs) == 1 {
		r.Err = errs[0]
	}
	return r
}

func orReal(c clockwork.Clock) clockwork.Clock {
	if c == nil {
		return clockwork.NewRealClock()
	}
	return c
}
