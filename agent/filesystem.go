package agent

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
)

// fsStats is one filesystem's statfs figures in bytes and inodes.
type fsStats struct {
	size, free, avail, files, filesFree float64
}

// filesystemSource reports every mounted filesystem not excluded by the
// config, like node_exporter's filesystem collector. Each statfs runs in its
// own goroutine: one that does not answer within half the source timeout (a
// hung NFS server) marks its mount stuck, reported as
// node_filesystem_device_error 1 and skipped until the call returns.
type filesystemSource struct {
	size, free, avail, files, filesFree, readonly, deviceError *prometheus.Desc

	cfg    *Config
	clock  clockwork.Clock
	logger *slog.Logger
	wait   time.Duration
	list   func(ctx context.Context) ([]mount, error)
	stat   func(path string) (fsStats, error)

	mu    sync.Mutex
	stuck map[string]bool
}

func newFilesystemSource(env sourceEnv) (source, error) {
	s := newFilesystemSourceWith(env, nil, nil)
	s.list, s.stat = platformMounts(env.root), platformStatFS
	return s, nil
}

func newFilesystemSourceWith(env sourceEnv, list func(context.Context) ([]mount, error), stat func(string) (fsStats, error)) *filesystemSource {
	l := []string{"device", "fstype", "mountpoint"}
	return &filesystemSource{
		size:        desc("node_filesystem_size_bytes", "Filesystem size in bytes.", l...),
		free:        desc("node_filesystem_free_bytes", "Filesystem free space in bytes.", l...),
		avail:       desc("node_filesystem_avail_bytes", "Filesystem space available to non-root users in bytes.", l...),
		files:       desc("node_filesystem_files", "Filesystem total file nodes.", l...),
		filesFree:   desc("node_filesystem_files_free", "Filesystem total free file nodes.", l...),
		readonly:    desc("node_filesystem_readonly", "Filesystem read-only status (1 read-only).", l...),
		deviceError: desc("node_filesystem_device_error", "Whether an error (or a hang) occurred while getting statistics for the given device.", l...),
		cfg:         env.cfg,
		clock:       env.clock,
		logger:      env.logger,
		wait:        env.cfg.Sources.Timeout.Std() / 2,
		list:        list,
		stat:        stat,
		stuck:       map[string]bool{},
	}
}

type fsResult struct {
	idx int
	st  fsStats
	err error
}

func (s *filesystemSource) update(ctx context.Context, out *sink) error {
	mounts, err := s.list(ctx)
	if err != nil {
		return err
	}
	results := make(chan fsResult, len(mounts))
	started := make([]bool, len(mounts))
	n := 0
	for i, m := range mounts {
		if s.cfg.Filesystem.MountPointsExclude.match(m.mountPoint) || s.cfg.Filesystem.FSTypesExclude.match(m.fsType) {
			continue
		}
		ro := 0.0
		if m.readOnly {
			ro = 1
		}
		out.gauge(s.readonly, ro, m.device, m.fsType, m.mountPoint)
		if s.isStuck(m.mountPoint) {
			out.gauge(s.deviceError, 1, m.device, m.fsType, m.mountPoint)
			continue
		}
		s.setStuck(m.mountPoint, true)
		started[i] = true
		n++
		go func() {
			st, err := s.stat(m.mountPoint)
			results <- fsResult{idx: i, st: st, err: err} // buffered: never blocks
			s.setStuck(m.mountPoint, false)
		}()
	}
	handle := func(r fsResult) {
		n--
		started[r.idx] = false
		m := &mounts[r.idx]
		if r.err != nil {
			s.logger.Debug("statfs failed", "mountpoint", m.mountPoint, "err", r.err)
			out.gauge(s.deviceError, 1, m.device, m.fsType, m.mountPoint)
			return
		}
		out.gauge(s.deviceError, 0, m.device, m.fsType, m.mountPoint)
		out.gauge(s.size, r.st.size, m.device, m.fsType, m.mountPoint)
		out.gauge(s.free, r.st.free, m.device, m.fsType, m.mountPoint)
		out.gauge(s.avail, r.st.avail, m.device, m.fsType, m.mountPoint)
		out.gauge(s.files, r.st.files, m.device, m.fsType, m.mountPoint)
		out.gauge(s.filesFree, r.st.filesFree, m.device, m.fsType, m.mountPoint)
	}
	timeout := s.clock.NewTimer(s.wait)
	defer timeout.Stop()
	var expired <-chan time.Time = timeout.Chan()
	for n > 0 && expired != nil {
		select {
		case r := <-results:
			handle(r)
		case <-expired:
			expired = nil
		case <-ctx.Done():
			expired = nil
		}
	}
	// Take what finished meanwhile; the rest are stuck.
	for drained := false; n > 0 && !drained; {
		select {
		case r := <-results:
			handle(r)
		default:
			drained = true
		}
	}
	for i, waiting := range started {
		if waiting {
			m := &mounts[i]
			s.logger.Warn("statfs did not return; mount marked stuck until it does", "mountpoint", m.mountPoint, "after", s.wait)
			out.gauge(s.deviceError, 1, m.device, m.fsType, m.mountPoint)
		}
	}
	return nil
}

func (s *filesystemSource) isStuck(mp string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stuck[mp]
}

func (s *filesystemSource) setStuck(mp string, v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v {
		s.stuck[mp] = true
	} else {
		delete(s.stuck, mp)
	}
}
