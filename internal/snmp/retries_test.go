package snmp

import "testing"

// TestDefaultRetries: an unset Retries is the documented one retry (the
// collector's probe set passes none); a negative one means none.
func TestDefaultRetries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want int }{{0, DefaultRetries}, {-1, 0}, {3, 3}} {
		p, err := NewProber(Options{Profiles: loadProfiles(t), Retries: tc.in})
		if err != nil {
			t.Fatal(err)
		}
		if p.opts.Retries != tc.want {
			t.Errorf("Retries %d: prober uses %d, want %d", tc.in, p.opts.Retries, tc.want)
		}
	}
}
