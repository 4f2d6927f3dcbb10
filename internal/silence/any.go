package silence

import "time"

// Source is anything that holds silences: a Set, an External.
type Source interface {
	Silenced(labels map[string]string, at time.Time) (id string, ok bool)
	Active() []Silence
}

// Any is several sources as one: a silence of any of them silences.
type Any []Source

// Silenced asks each source in turn.
func (a Any) Silenced(ls map[string]string, at time.Time) (string, bool) {
	for _, s := range a {
		if id, ok := s.Silenced(ls, at); ok {
			return id, true
		}
	}
	return "", false
}

// Active returns every source's active silences.
func (a Any) Active() []Silence {
	var out []Silence
	for _, s := range a {
		out = append(out, s.Active()...)
	}
	return out
}
