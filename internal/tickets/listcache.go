package tickets

import (
	"fmt"
	"maps"
	"slices"
	"sync"
)

// listCacheSize bounds the filters remembered (the duty desk's few: one per
// language-independent site scope).
const listCacheSize = 16

// listCache keeps what the store answered to a filter at one change
// sequence of the service (changes.go). The duty desk asks for the same
// 1,000 active tickets on every page load and every panel refresh; reading
// them and their timers from SQLite is most of the desk's cost, and nothing
// in them changes until a ticket does: every write to a ticket goes through
// Service.update, which publishes a change (the escalator's own writes are
// notices, which List does not return). What depends on the time (the timer
// views, maintenance windows) is evaluated on every call, on a copy.
type listCache struct {
	mu      sync.Mutex
	entries map[string]listEntry
}

type listEntry struct {
	seq uint64
	ts  []Ticket
}

func filterKey(f Filter) string {
	return fmt.Sprintf("%v|%d|%s|%q|%s|%s|%d|%d|%d|%d", f.States, f.Level, f.Site, f.Sites, f.Device, f.Category,
		f.From.UnixNano(), f.To.UnixNano(), f.Limit, f.Offset)
}

// get returns a copy of the tickets cached for key at seq, or false.
func (c *listCache) get(key string, seq uint64) ([]Ticket, bool) {
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if !ok || e.seq != seq {
		return nil, false
	}
	return cloneTickets(e.ts), true
}

// put remembers a copy of ts, read from the store at seq.
func (c *listCache) put(key string, seq uint64, ts []Ticket) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]listEntry{}
	}
	if _, ok := c.entries[key]; !ok && len(c.entries) >= listCacheSize {
		for k, e := range c.entries { // drop the stale first, else any
			if e.seq != seq {
				delete(c.entries, k)
			}
		}
		for k := range c.entries {
			if len(c.entries) < listCacheSize {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[key] = listEntry{seq: seq, ts: cloneTickets(ts)}
}

// cloneTickets copies ts deeply enough that View and callers may change
// the copy: every slice and map a ticket holds.
func cloneTickets(ts []Ticket) []Ticket {
	out := slices.Clone(ts)
	for i := range out {
		t := &out[i]
		t.Labels = maps.Clone(t.Labels)
		t.Timers = slices.Clone(t.Timers)
		t.TimerViews = nil
		t.Parts = slices.Clone(t.Parts)
		t.Affected = slices.Clone(t.Affected)
		t.Events = slices.Clone(t.Events)
		if t.Pause != nil {
			p := *t.Pause
			t.Pause = &p
		}
	}
	return out
}
