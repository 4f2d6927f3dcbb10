package exposition

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/probe"
)

// TestPreparedWriteText holds Prepared.WriteText byte-equal to WriteText:
// for results of the expected shape (values filled into the prepared
// layout) and for results that differ from it (rendered in full).
func TestPreparedWriteText(t *testing.T) {
	t.Parallel()
	// The inventory's targets and what they are expected to answer (one
	// check of them fails).
	expected := append(fleetResults(40), results()...)
	// The results as the checks give them: other values and start times.
	answered := func() []probe.Result {
		rs := slices.Clone(expected)
		for i := range rs {
			rs[i].Start = rs[i].Start.Add(time.Duration(i) * time.Millisecond)
			rs[i].Duration += time.Duration(i) * time.Microsecond
			rs[i].Samples = slices.Clone(rs[i].Samples)
			for k := range rs[i].Samples {
				rs[i].Samples[k].Value += float64(i) / 1000
			}
		}
		return rs
	}
	sorted := func(rs []probe.Result) []probe.Result { // as the probe command passes them
		es := entriesOf(rs)
		out := make([]probe.Result, len(es))
		for i, e := range es {
			out[i] = e.r
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		results []probe.Result
		fast    bool
	}{
		{"as expected", sorted(answered()), true},
		{"one check fails", func() []probe.Result {
			rs := sorted(answered())
			rs[7].Err, rs[7].Samples = probe.Errorf(probe.ReasonTimeout, "no reply"), rs[7].Samples[:1]
			return rs
		}(), false},
		{"one sample more", func() []probe.Result {
			rs := sorted(answered())
			rs[3].Add("roomwatch_extra", probe.Gauge, 1, "", nil)
			return rs
		}(), false},
		{"not sorted", answered(), false},
		{"fewer", sorted(answered())[1:], false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := Prepare(expected)
			if got := p.matches(tc.results); got != tc.fast {
				t.Errorf("matches = %v, want %v", got, tc.fast)
			}
			var got, want bytes.Buffer
			if err := p.WriteText(&got, tc.results); err != nil {
				t.Fatal(err)
			}
			if err := WriteText(&want, tc.results); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("prepared output differs from WriteText's:\n%s\nwant:\n%s", got.String(), want.String())
			}
		})
	}
}

// BenchmarkPreparedWriteTextFleet: what is left after the last echo when
// the output was prepared, for 10,000 cameras.
func BenchmarkPreparedWriteTextFleet(b *testing.B) {
	rs := fleetResults(10000)
	slices.SortFunc(rs, func(a, b probe.Result) int { return strings.Compare(a.Target.Name, b.Target.Name) })
	p := Prepare(rs)
	if !p.matches(rs) {
		b.Fatal("the results do not match the prepared layout")
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := p.WriteText(io.Discard, rs); err != nil {
			b.Fatal(err)
		}
	}
}
