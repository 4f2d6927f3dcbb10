package icmp

import (
	"testing"
	"time"
)

func TestPacerReserve(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1_800_000_000, 0)
	per := 20 * time.Microsecond // 50,000 a second
	ms := time.Millisecond
	for _, tc := range []struct {
		name string
		next time.Time     // the pacer's schedule
		now  time.Time     // when the sender asks
		want time.Time     // the first slot it gets
		then time.Duration // the schedule after 32 slots, from t0
	}{
		{"on schedule: wait for the slot", t0.Add(ms), t0, t0.Add(ms), ms + 32*per},
		{"late within the catch-up: send at once, keep the schedule", t0, t0.Add(5 * ms), t0, 32 * per},
		{"late beyond the catch-up: the rest is lost", t0, t0.Add(maxCatchUp + 7*ms), t0.Add(7 * ms), 7*ms + 32*per},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pc := &pacer{per: per, next: tc.next}
			if got := pc.reserve(tc.now, 32); !got.Equal(tc.want) {
				t.Errorf("reserve = t0%+v, want t0%+v", got.Sub(t0), tc.want.Sub(t0))
			}
			if got := pc.next.Sub(t0); got != tc.then {
				t.Errorf("schedule after = t0+%v, want t0+%v", got, tc.then)
			}
		})
	}
	unpaced := &pacer{}
	if got := unpaced.reserve(t0, 32); !got.Equal(t0) {
		t.Errorf("unpaced reserve = %v, want now", got)
	}
}
