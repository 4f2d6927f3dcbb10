package inspect

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// canonicalSlow is the first definition of the canonical form: decode into
// any with json.Number, encode with json.Marshal (sorted map keys).
func canonicalSlow(s string) ([]byte, error) {
	var v any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

func canonicalSeeds(t testing.TB) []string {
	v := 41.5
	run := Run{Template: "daily", Title: "每日巡检<检查>表 & \u2028", PeriodEnd: time.Date(2026, 5, 20, 8, 30, 0, 0, time.UTC),
		Rows: []Row{{Device: "cam-1", Item: "t", Name: "温度", Value: &v, Verdict: Abnormal,
			Evidence: Evidence{Query: `max by (device) (x{a="b"}) > 1`, Values: []float64{1e-7, 3, 1e21}}}}}
	b, err := json.Marshal(run)
	if err != nil {
		t.Fatal(err)
	}
	return []string{string(b), `{}`, `[]`, `null`, ` {"b":1, "a":[true,false,null,"x\u00e9\n"], "a":2} `,
		`{"z":{"y":{"x":-0.0e+5}},"\u0041":"\ud83d\ude00","é":"\"<>&"}`, `"\u2029"`, `12.50`, `[1, [2, [3]]]`,
		"{\"k\":\"\xff\"}"}
}

func TestCanonicalMatchesTheFirstDefinition(t *testing.T) {
	for _, s := range canonicalSeeds(t) {
		want, werr := canonicalSlow(s)
		got, gerr := canonical(s)
		if (werr == nil) != (gerr == nil) || string(got) != string(want) {
			t.Errorf("canonical(%q) = %s, %v; first definition %s, %v", s, got, gerr, want, werr)
		}
	}
	for _, bad := range []string{`{`, `{"a" 1}`, `[1,]`, `tru`, `{"a":1} x`, `"abc`, `01`, `{"a":1,}`} {
		if got, err := canonical(bad); err == nil {
			t.Errorf("canonical(%q) = %s, want an error", bad, got)
		}
	}
}

// FuzzCanonical checks the one-pass canonicaliser against the first
// definition on every valid JSON document, and that it never panics.
func FuzzCanonical(f *testing.F) {
	for _, s := range canonicalSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, gerr := canonical(s)
		if !json.Valid([]byte(s)) {
			return
		}
		want, werr := canonicalSlow(s)
		if (werr == nil) != (gerr == nil) || string(got) != string(want) {
			t.Fatalf("canonical(%q) = %s, %v; first definition %s, %v", s, got, gerr, want, werr)
		}
	})
}

// TestHashDocMatchesMarshal keeps the hand-built hashed document equal to
// json.Marshal of the map of columns, the first definition.
func TestHashDocMatchesMarshal(t *testing.T) {
	for _, s := range canonicalSeeds(t) {
		body, err := canonical(s)
		if err != nil {
			continue
		}
		e := &entry{Seq: 12, Inspection: 3, Kind: KindRun, At: "2026-05-20T00:30:00Z", Template: "daily<&>",
			PeriodStart: "a\u2028", PeriodEnd: `"q"`, PrevHash: "abc"}
		want, err := json.Marshal(map[string]any{
			"seq": e.Seq, "inspection": e.Inspection, "kind": e.Kind, "at": e.At,
			"template": e.Template, "period_start": e.PeriodStart, "period_end": e.PeriodEnd,
			"summary": json.RawMessage(body), "body": json.RawMessage(body), "prev_hash": e.PrevHash,
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := hashDoc(e, body, body); string(got) != string(want) {
			t.Errorf("hashDoc\n got %s\nwant %s", got, want)
		}
	}
}
