// Package probers assembles the prober of every probe (icmp, snmp, tcp,
// http, rtsp, isapi, dahua, checkpoint) for the collector and the
// `roomwatch-collector probe` command, so both run the same code.
package probers

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/probe"
	"github.com/roomwatch/roomwatch/internal/probe/camera"
	"github.com/roomwatch/roomwatch/internal/probe/icmp"
	"github.com/roomwatch/roomwatch/internal/probe/netcheck"
	"github.com/roomwatch/roomwatch/internal/probe/scheduler"
	"github.com/roomwatch/roomwatch/internal/snmp"
)

// Options configures the probers.
type Options struct {
	Clock    clockwork.Clock // default: the real clock
	Logger   *slog.Logger    // default: slog.Default()
	Location *time.Location  // devices' time zone (Dahua clock); default UTC+8
	// ProfilesDir holds the SNMP profiles; empty leaves snmp out.
	ProfilesDir string
	// NoICMP leaves icmp out (no socket is opened).
	NoICMP bool
	// ICMP tunes the pinger (Clock and Logger are filled in).
	ICMP icmp.Options
}

// Set is the probers of every available probe. Close it when done.
type Set struct {
	Probers map[string]probe.Prober
	Batch   map[string]scheduler.BatchProber
	// Unavailable says why a probe is missing (no ICMP socket, no profiles).
	Unavailable map[string]error
	closers     []func() error
}

// New builds the probers. A probe that cannot be built (ICMP without the
// privilege to open a socket, SNMP without profiles) is left out and
// explained in Unavailable; New itself fails only on bad options.
func New(o Options) (*Set, error) {
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Set{
		Probers: map[string]probe.Prober{
			scheduler.ProbeTCP:        netcheck.TCP{Clock: o.Clock},
			scheduler.ProbeHTTP:       netcheck.HTTP{Clock: o.Clock},
			scheduler.ProbeRTSP:       netcheck.RTSP{Clock: o.Clock},
			scheduler.ProbeISAPI:      camera.ISAPI{Clock: o.Clock},
			scheduler.ProbeDahua:      camera.Dahua{Clock: o.Clock, Location: o.Location},
			scheduler.ProbeCheckpoint: camera.Checkpoint{Clock: o.Clock, Location: o.Location},
		},
		Batch:       map[string]scheduler.BatchProber{},
		Unavailable: map[string]error{},
	}
	if o.NoICMP {
		s.Unavailable[scheduler.ProbeICMP] = errors.New("icmp turned off")
	} else {
		io := o.ICMP
		io.Clock, io.Logger = o.Clock, o.Logger
		p, err := icmp.New(io)
		if err != nil {
			s.Unavailable[scheduler.ProbeICMP] = fmt.Errorf("icmp: %w (run as root, or allow unprivileged ping: sysctl net.ipv4.ping_group_range)", err)
		} else {
			s.Batch[scheduler.ProbeICMP] = p
			s.Probers[scheduler.ProbeICMP] = p
			s.closers = append(s.closers, p.Close)
		}
	}
	if o.ProfilesDir == "" {
		s.Unavailable[scheduler.ProbeSNMP] = errors.New("snmp: no profiles directory configured (probes.profiles_dir)")
	} else if ps, err := snmp.LoadProfiles(o.ProfilesDir); err != nil {
		s.Unavailable[scheduler.ProbeSNMP] = fmt.Errorf("snmp profiles: %w", err)
	} else if sp, err := snmp.NewProber(snmp.Options{Profiles: ps, Logger: o.Logger, Clock: o.Clock}); err != nil {
		s.Unavailable[scheduler.ProbeSNMP] = err
	} else {
		s.Probers[scheduler.ProbeSNMP] = sp
	}
	return s, nil
}

// Have reports whether the named probe can run.
func (s *Set) Have(name string) bool {
	return s.Probers[name] != nil || s.Batch[name] != nil
}

// Close releases the ICMP sockets.
func (s *Set) Close() error {
	var errs []error
	for _, c := range s.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}
