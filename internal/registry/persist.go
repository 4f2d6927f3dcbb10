package registry

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// How the registry persists:
//
//   - Path (agents.json) is a snapshot: the whole registry, written to a
//     temporary file, synced and renamed over the old one (then the
//     directory is synced).
//   - Path+".log" (agents.json.log) holds one JSON line per registration
//     since the snapshot. Register appends its line and syncs it before it
//     returns, so an acknowledged registration survives a crash; concurrent
//     registrations share one sync (group commit).
//   - Save folds the log into a new snapshot and empties the log; Run calls
//     it every interval, Close and Open once more.
//
// Before, every registration rewrote and synced all of agents.json: 5,000
// registrations took 172 s (docs/benchmarks.md); a registration now writes
// one line.

// logSuffix names the registration log beside the snapshot.
const logSuffix = ".log"

// appendLog is the registration log, open for appending.
type appendLog struct {
	f       *os.File
	size    int64        // bytes written; under Registry.mu
	written atomic.Int64 // lines appended since open
	synced  atomic.Int64 // lines known on disk
	syncMu  sync.Mutex
}

// append writes one record (Registry.mu held) and returns its number for
// syncTo. A failed write is cut off, so the log never holds half a line
// before a good one.
func (l *appendLog) append(a *Agent) (int64, error) {
	b, err := json.Marshal(a)
	if err != nil {
		return 0, fmt.Errorf("registry: %w", err)
	}
	b = append(b, '\n')
	n, err := l.f.Write(b)
	if err != nil {
		if n > 0 {
			_ = l.f.Truncate(l.size)
		}
		return 0, fmt.Errorf("registry: append to %s: %w", l.f.Name(), err)
	}
	l.size += int64(n)
	return l.written.Add(1), nil
}

// syncTo returns once line seq is on disk; one fsync covers every line
// appended before it started.
func (l *appendLog) syncTo(seq int64) error {
	if l.synced.Load() >= seq {
		return nil
	}
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	if l.synced.Load() >= seq {
		return nil
	}
	target := l.written.Load()
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("registry: sync %s: %w", l.f.Name(), err)
	}
	l.synced.Store(target)
	return nil
}

// reset empties the log once its lines are in a synced snapshot
// (Registry.mu held).
func (l *appendLog) reset() error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("registry: truncate %s: %w", l.f.Name(), err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("registry: sync %s: %w", l.f.Name(), err)
	}
	l.size = 0
	l.synced.Store(l.written.Load())
	return nil
}

// load reads the snapshot and replays the log over it; unless read-only,
// it then folds the log into a new snapshot and opens the log.
func (r *Registry) load() error {
	data, err := os.ReadFile(r.opts.Path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("registry: %w", err)
	default:
		var list []*Agent
		if err := json.Unmarshal(data, &list); err != nil {
			return fmt.Errorf("registry: %s: %w", r.opts.Path, err)
		}
		for _, a := range list {
			if a.Hostname != "" {
				r.agents[a.Hostname] = a
			}
		}
	}
	replayed, err := r.replay(r.opts.Path + logSuffix)
	if err != nil {
		return err
	}
	if r.opts.ReadOnly {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(r.opts.Path), 0o750); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	f, err := os.OpenFile(r.opts.Path+logSuffix, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("registry: %w", err)
	}
	r.log = &appendLog{f: f, size: st.Size()}
	if replayed > 0 || st.Size() > 0 {
		r.dirty = true
		if err := r.Save(); err != nil {
			f.Close()
			r.log = nil
			return err
		}
	}
	return nil
}

// replay applies the log's records; a last line cut short by a crash (never
// acknowledged) is skipped, a bad line before the last is an error.
func (r *Registry) replay(path string) (int, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("registry: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	n := 0
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			if len(bytes.TrimSpace(b)) > 0 {
				r.opts.Logger.Warn("agent registry: skipping a registration cut short by a crash (never acknowledged)", "file", path, "line", line)
			}
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("registry: %s: %w", path, err)
		}
		var a Agent
		if err := json.Unmarshal(b, &a); err != nil || a.Hostname == "" {
			return n, fmt.Errorf("registry: %s:%d: not a registration record", path, line)
		}
		r.merge(&a)
		n++
	}
}

// merge applies a logged record: its description wins, but a snapshot taken
// after it may hold a later LastSeen (from pushes) and the first
// registration time.
func (r *Registry) merge(a *Agent) {
	old, ok := r.agents[a.Hostname]
	if ok {
		if old.LastSeen.After(a.LastSeen) {
			a.LastSeen = old.LastSeen
		}
		if !old.RegisteredAt.IsZero() && old.RegisteredAt.Before(a.RegisteredAt) {
			a.RegisteredAt = old.RegisteredAt
		}
	}
	r.agents[a.Hostname] = a
}

// Save writes a snapshot if anything changed since the last one and
// empties the registration log.
func (r *Registry) Save() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.saveLocked()
}

func (r *Registry) saveLocked() error {
	if r.opts.Path == "" || r.opts.ReadOnly || !r.dirty {
		return nil
	}
	list := make([]*Agent, 0, len(r.agents))
	for _, a := range r.agents {
		list = append(list, a)
	}
	slices.SortFunc(list, func(a, b *Agent) int { return strings.Compare(a.Hostname, b.Hostname) })
	data, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	dir := filepath.Dir(r.opts.Path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	tmp := r.opts.Path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	_, werr := f.Write(append(data, '\n'))
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("registry: write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, r.opts.Path); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	// The rename must be on disk before the log it replaces is emptied.
	if d, err := os.Open(dir); err == nil {
		serr := d.Sync()
		d.Close()
		if serr != nil {
			return fmt.Errorf("registry: sync %s: %w", dir, serr)
		}
	}
	if r.log != nil {
		if err := r.log.reset(); err != nil {
			return err
		}
	}
	r.dirty = false
	return nil
}

// Close saves a last snapshot and closes the registration log.
func (r *Registry) Close() error {
	err := r.Save()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.log != nil {
		err = errors.Join(err, r.log.f.Close())
		r.log = nil
	}
	return err
}
