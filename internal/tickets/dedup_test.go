package tickets

import "testing"

func TestFiringCacheCommitOrder(t *testing.T) {
	t.Parallel()
	fire := AlertRecord{Fingerprint: "a", TicketID: 1, Firing: true}
	resolved := AlertRecord{Fingerprint: "a", TicketID: 1}
	tests := []struct {
		name string
		run  func(c *firingCache)
		want bool
	}{
		{"committed firing", func(c *firingCache) { c.commit("a", c.write("a"), fire) }, true},
		{"aborted firing", func(c *firingCache) { c.abort("a", c.write("a")) }, false},
		{"resolved", func(c *firingCache) { c.commit("a", c.write("a"), resolved) }, false},
		{"affected", func(c *firingCache) {
			r := fire
			r.Affected = true
			c.commit("a", c.write("a"), r)
		}, false},
		{"no ticket", func(c *firingCache) {
			r := fire
			r.TicketID = 0
			c.commit("a", c.write("a"), r)
		}, false},
		// Two transactions write the record; the later one's commit is
		// applied first. The earlier firing must not come back.
		{"commits applied out of order", func(c *firingCache) {
			s1, s2 := c.write("a"), c.write("a")
			c.commit("a", s2, resolved)
			c.commit("a", s1, fire)
		}, false},
		{"later write pending", func(c *firingCache) {
			s1 := c.write("a")
			c.write("a")
			c.commit("a", s1, fire)
		}, false},
		{"write removes a remembered firing", func(c *firingCache) {
			c.commit("a", c.write("a"), fire)
			c.write("a")
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newFiringCache(10)
			tc.run(c)
			id, got := c.ticket("a")
			if got != tc.want {
				t.Errorf("known = %v, want %v", got, tc.want)
			}
			if got && id != fire.TicketID {
				t.Errorf("ticket = %d, want %d", id, fire.TicketID)
			}
		})
	}
}

func TestFiringCacheBound(t *testing.T) {
	t.Parallel()
	c := newFiringCache(2)
	for _, fp := range []string{"a", "b", "c"} {
		c.commit(fp, c.write(fp), AlertRecord{Fingerprint: fp, TicketID: 1, Firing: true})
	}
	if len(c.firing) > 2 || !known(c, "c") {
		t.Errorf("cache %v: want at most 2 entries with the newest", c.firing)
	}
	if len(c.pending) != 0 {
		t.Errorf("pending %v after all commits", c.pending)
	}
}

func known(c *firingCache, fp string) bool {
	_, ok := c.ticket(fp)
	return ok
}
