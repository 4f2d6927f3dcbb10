package collector

import (
	"maps"
	"slices"
	"sync"
)

// standingWarnings are the warnings /-/ready shows, each source (holidays,
// tsdb…) replacing only its own.
type standingWarnings struct {
	mu sync.Mutex
	by map[string][]string
}

func (w *standingWarnings) set(source string, msgs []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.by == nil {
		w.by = make(map[string][]string)
	}
	if len(msgs) == 0 {
		delete(w.by, source)
		return
	}
	w.by[source] = slices.Clone(msgs)
}

// all returns every warning, sources in name order.
func (w *standingWarnings) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, src := range slices.Sorted(maps.Keys(w.by)) {
		out = append(out, w.by[src]...)
	}
	return out
}
