package tickets

import "sync"

// firingCache remembers, in memory, the alert fingerprints whose committed
// record is "firing, on a ticket of its own". A repeat of such an alert (the
// usual Alertmanager resend every repeat_interval, or a replay) changes
// nothing in the store, so Ingest answers it without touching SQLite.
//
// Entries are added only after the transaction that wrote them committed, so
// a hit always reflects durable state. Every write of a record first removes
// its entry inside the (serialised) transaction and stamps the fingerprint
// with a sequence number; the add after commit happens only if no later
// transaction has stamped the fingerprint since, so commits finishing out of
// order cannot resurrect a stale entry. Only additions are deferred: removing
// an entry too early only sends a repeat down the slow path.
type firingCache struct {
	mu      sync.Mutex
	max     int
	seq     uint64
	firing  map[string]int64  // fingerprint -> its ticket
	pending map[string]uint64 // fingerprint -> seq of its last uncommitted write
}

func newFiringCache(max int) *firingCache {
	return &firingCache{max: max, firing: make(map[string]int64), pending: make(map[string]uint64)}
}

// ticket returns the ticket fp is known firing on, if it is known.
func (c *firingCache) ticket(fp string) (int64, bool) {
	c.mu.Lock()
	id, ok := c.firing[fp]
	c.mu.Unlock()
	return id, ok
}

// write is called inside the transaction that writes fp's record; it returns
// the stamp to pass to commit.
func (c *firingCache) write(fp string) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.firing, fp)
	c.seq++
	c.pending[fp] = c.seq
	return c.seq
}

// commit is called after the transaction committed, for each record written.
func (c *firingCache) commit(fp string, seq uint64, r AlertRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending[fp] != seq {
		return // written again since; that write decides
	}
	delete(c.pending, fp)
	if !r.Firing || r.TicketID == 0 || r.Affected || r.Unknown {
		return
	}
	if len(c.firing) >= c.max {
		clear(c.firing) // crude bound: start over; misses only cost speed
	}
	c.firing[fp] = r.TicketID
}

// abort is called for the writes of a transaction that did not commit.
func (c *firingCache) abort(fp string, seq uint64) {
	c.mu.Lock()
	if c.pending[fp] == seq {
		delete(c.pending, fp)
	}
	c.mu.Unlock()
}

// cacheWrite is one record written in a transaction.
type cacheWrite struct {
	seq uint64
	rec AlertRecord
}
