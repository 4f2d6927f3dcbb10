package console

import (
	"strings"
	"sync"
	"time"
)

// panelTTL bounds how long a rendered desk panel is reused: its clock
// (data-now, the countdowns' reference) is at most this old.
const panelTTL = time.Second

// panelCache shares one rendering of the desk's panel between the desks
// that ask for it after the same ticket change (every desk fetches the
// panel when the event stream announces a change: 50 desks would otherwise
// render the same 1,000 tickets 50 times). An entry serves only requests
// made at the ticket service's same change sequence, so no desk gets a
// panel older than the change it was told of.
type panelCache struct {
	mu      sync.Mutex
	entries map[string]*panelEntry
}

type panelEntry struct {
	seq  uint64
	at   time.Time
	done chan struct{} // closed when body or err is set
	body []byte
	err  error
}

// panelKey is what the panel depends on besides the tickets: language,
// the sites an account is limited to, whether it may register faults.
func panelKey(lang string, sites []string, register bool) string {
	r := "0"
	if register {
		r = "1"
	}
	return lang + "\x00" + r + "\x00" + strings.Join(sites, "\x00")
}

// get returns the panel for key at change sequence seq, rendering it with
// render unless an entry of that sequence, fresh enough, exists or is
// being rendered.
func (pc *panelCache) get(key string, seq uint64, now time.Time, render func() ([]byte, error)) ([]byte, error) {
	pc.mu.Lock()
	e := pc.entries[key]
	if e != nil && e.seq == seq && now.Sub(e.at) < panelTTL {
		pc.mu.Unlock()
		<-e.done
		if e.err == nil {
			return e.body, nil
		}
		return render()
	}
	e = &panelEntry{seq: seq, at: now, done: make(chan struct{})}
	if pc.entries == nil {
		pc.entries = map[string]*panelEntry{}
	}
	pc.entries[key] = e
	pc.mu.Unlock()
	e.body, e.err = render()
	close(e.done)
	return e.body, e.err
}
