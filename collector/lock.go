package collector

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Holder says who holds a data directory's lock: written into the lock file
// by the holder, read by whoever is refused.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host,omitempty"`
	Command string    `json:"command"` // "serve", "report", "inspect run"…
	Listen  string    `json:"listen,omitempty"`
	Since   time.Time `json:"since"`
}

func (h Holder) String() string {
	s := fmt.Sprintf("roomwatch-collector %s (pid %d", h.Command, h.PID)
	if h.Host != "" {
		s += " on " + h.Host
	}
	if !h.Since.IsZero() {
		s += ", since " + h.Since.Format(time.DateTime)
	}
	if h.Listen != "" {
		s += ", listening on " + h.Listen
	}
	return s + ")"
}

// ErrLocked is what LockedError matches with errors.Is.
var ErrLocked = errors.New("data directory in use")

// LockedError is returned when another process holds the data directory.
type LockedError struct {
	Dir    string
	Holder Holder // zero when the lock file could not be read
}

func (e *LockedError) Error() string {
	who := "another roomwatch-collector process"
	if e.Holder.PID != 0 {
		who = e.Holder.String()
	}
	return fmt.Sprintf("数据目录 %s 正被占用 / data directory %s is in use by %s", e.Dir, e.Dir, who)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// DirLock is a held data-directory lock; Release gives it up.
type DirLock struct {
	f      *os.File
	path   string
	holder Holder
}

// Acquire takes the data directory's lock for the command h describes (pid,
// host and time are filled in), creating the directory if needed. When
// another process holds it, the error is a *LockedError naming that process.
// The lock is an OS file lock, so it goes with the process, even on kill -9.
func (d DataDir) Acquire(h Holder) (*DirLock, error) {
	if err := os.MkdirAll(d.Root, 0o750); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	path := d.Lock()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("data directory lock: %w", err)
	}
	if err := lockFileNB(f); err != nil {
		f.Close()
		if errors.Is(err, errWouldBlock) {
			holder, _ := d.Holder()
			return nil, &LockedError{Dir: d.Root, Holder: holder}
		}
		return nil, fmt.Errorf("data directory lock %s: %w", path, err)
	}
	h.PID = os.Getpid()
	if h.Host == "" {
		h.Host, _ = os.Hostname()
	}
	if h.Since.IsZero() {
		h.Since = time.Now()
	}
	l := &DirLock{f: f, path: path, holder: h}
	if err := l.write(); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

// write records the holder in the lock file.
func (l *DirLock) write() error {
	b, _ := json.Marshal(l.holder)
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("data directory lock %s: %w", l.path, err)
	}
	if _, err := l.f.WriteAt(append(b, '\n'), 0); err != nil {
		return fmt.Errorf("data directory lock %s: %w", l.path, err)
	}
	return nil
}

// setListen records the address serve listens on once it is bound, so that
// one-shot tools reach the running collector's API at the right port.
func (l *DirLock) setListen(addr string) {
	if l == nil || l.f == nil {
		return
	}
	l.holder.Listen = addr
	_ = l.write()
}

// Holder reads who holds (or last held) the lock.
func (d DataDir) Holder() (Holder, error) {
	var h Holder
	b, err := os.ReadFile(d.Lock())
	if err != nil {
		return h, err
	}
	err = json.Unmarshal([]byte(strings.TrimSpace(string(b))), &h)
	return h, err
}

// Release gives the lock up. The file stays (removing it would race with a
// process about to lock it); its content says who held it last.
func (l *DirLock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := unlockFile(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
