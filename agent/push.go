package agent

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roomwatch/roomwatch/internal/buildinfo"
	"github.com/roomwatch/roomwatch/internal/pushbuf"
)

// PushSequenceMetric is the gauge added to every pushed gather holding its
// buffer sequence number: in the collector's store the series must rise by
// one per gather with no gap and no repeat, across outages and restarts.
const PushSequenceMetric = "roomwatch_agent_push_sequence"

// pushPart opens the on-disk buffer and returns the pusher as a Run part:
// gather g every interval, append to the buffer, send in order to the
// collector, register with it. The buffer's and pusher's metrics go to r.
func pushPart(opts *Options, g prometheus.Gatherer, r prometheus.Registerer) (func(context.Context) error, error) {
	rw := opts.Config.RemoteWrite
	interval := rw.Interval.Std()
	buf, err := pushbuf.Open(rw.BufferDir, pushbuf.Options{
		MaxBytes:   int64(rw.MaxSize),
		MaxAge:     rw.MaxAge.Std(),
		Clock:      opts.Clock,
		Logger:     opts.Logger,
		Registerer: r,
	})
	if err != nil {
		return nil, fmt.Errorf("push buffer: %w", err)
	}
	hostname, _ := os.Hostname()
	if opts.hostname != "" {
		hostname = opts.hostname
	}
	info := func(ctx context.Context) pushbuf.AgentInfo {
		a := pushbuf.AgentInfo{Hostname: hostname, OS: runtime.GOOS, Site: opts.Config.Labels["site"], Version: buildinfo.Get().Version}
		if hb, err := readHostBasics(ctx, opts.root); err == nil {
			a.Platform, a.Kernel = hb.platform, hb.kernel
		}
		if ifaces, err := net.Interfaces(); err == nil {
			addrs, _, _ := hostAddresses(ifaces)
			for _, x := range addrs {
				a.IPs = append(a.IPs, x[1])
			}
		}
		return a
	}
	// The configured labels are on every gathered series already; they also
	// go on the sequence gauge the pusher adds. The identity labels are set
	// the way the collector (or a Prometheus) scraping this agent would set its
	// target labels: device and class name the host as every monitored thing
	// is named, and the exposed device label of disks, filesystems and
	// interfaces is kept as exported_device, so a pushed series and a scraped
	// one are the same series.
	external := map[string]string{"agent": hostname}
	for k, v := range opts.Config.Labels {
		external[k] = v
	}
	target := map[string]string{"device": hostname, "class": "server", "instance": hostname, "job": "roomwatch-agent"}
	po := pushbuf.PusherOptions{
		Gatherer:       g,
		Buffer:         buf,
		URL:            rw.URL.String(),
		Agent:          pushbuf.AgentInfo{Hostname: hostname, Version: buildinfo.Get().Version},
		ExternalLabels: external,
		TargetLabels:   target,
		SequenceMetric: PushSequenceMetric,
		Interval:       interval,
		MinBackoff:     min(time.Second, interval),
		MaxBackoff:     min(time.Minute, max(time.Second, 4*interval)),
		// Client: pushbuf.ConnClient by default, one kept-alive connection
		// without http.Transport (600 kB less binary, so less RSS) and without
		// proxies from the environment: the collector is on the local network.
		Clock:      opts.Clock,
		Logger:     opts.Logger,
		Registerer: r,
	}
	if po.Client, err = rw.Credentials.client(); err != nil {
		buf.Close()
		return nil, fmt.Errorf("remote_write: %w", err)
	}
	if rw.Register {
		po.RegisterURL = rw.RegisterURL()
		po.RegisterInterval = defaultRegisterInterval
		po.AgentFunc = info
	}
	p, err := pushbuf.NewPusher(po)
	if err != nil {
		buf.Close()
		return nil, err
	}
	opts.Logger.Info("pushing to the collector", "url", po.URL, "buffer", rw.BufferDir,
		"pending", buf.Pending(), "interval", interval)
	return func(ctx context.Context) error {
		defer buf.Close()
		return p.Run(ctx)
	}, nil
}
