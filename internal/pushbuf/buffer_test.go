package pushbuf

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func openBuf(t *testing.T, dir string, opts Options) *Buffer {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet()
	}
	b, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func payload(i uint64) []byte { return []byte(fmt.Sprintf("record-%06d", i)) }

func appendN(t *testing.T, b *Buffer, from, to uint64) {
	t.Helper()
	for i := from; i <= to; i++ {
		seq, err := b.Append(payload(i))
		if err != nil {
			t.Fatal(err)
		}
		if seq != i {
			t.Fatalf("Append got seq %d, want %d", seq, i)
		}
	}
}

// seqs reads every pending record, checking each payload matches its sequence.
func seqs(t *testing.T, b *Buffer) []uint64 {
	t.Helper()
	recs, err := b.Read(b.Acked(), 1<<30, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	var out []uint64
	for _, r := range recs {
		if !bytes.Equal(r.Data, payload(r.Seq)) {
			t.Fatalf("record %d holds %q", r.Seq, r.Data)
		}
		out = append(out, r.Seq)
	}
	return out
}

func span(from, to uint64) []uint64 {
	var out []uint64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func equalSeqs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBufferSurvivesReopenFromCursor(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b := openBuf(t, dir, Options{SegmentBytes: 4096})
	appendN(t, b, 1, 500) // several segments
	if err := b.Ack(200); err != nil {
		t.Fatal(err)
	}
	batch, err := b.Read(200, 10, 1<<20)
	if err != nil || len(batch) != 10 || batch[0].Seq != 201 || batch[9].Seq != 210 {
		t.Fatalf("Read(200, 10) = %d records (%v)", len(batch), err)
	}
	b.Close()

	b = openBuf(t, dir, Options{SegmentBytes: 4096})
	if got := seqs(t, b); !equalSeqs(got, span(201, 500)) {
		t.Fatalf("after reopen pending = %v..., want 201..500", got[:min(5, len(got))])
	}
	appendN(t, b, 501, 510)
	if err := b.Ack(510); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(segs) != 1 {
		t.Errorf("%d segments left after acknowledging everything, want only the active one", len(segs))
	}
	b.Close()

	// Everything acknowledged: numbering continues from the cursor.
	b = openBuf(t, dir, Options{SegmentBytes: 4096})
	if b.Pending() != 0 || b.Acked() != 510 {
		t.Fatalf("pending %d acked %d, want 0 and 510", b.Pending(), b.Acked())
	}
	appendN(t, b, 511, 511)
}

func TestBufferTruncatesDamagedTail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		damage func(data []byte) []byte
		want   []uint64
	}{
		{"torn last record", func(d []byte) []byte { return d[:len(d)-5] }, span(1, 19)},
		{"torn header", func(d []byte) []byte { return d[:len(d)-len(payload(20))-headerSize+7] }, span(1, 19)},
		{"flipped payload byte", func(d []byte) []byte { d[len(d)-2] ^= 0x40; return d }, span(1, 19)},
		{"garbage appended", func(d []byte) []byte { return append(d, []byte("\x10\x00\x00\x00partial junk")...) }, span(1, 20)},
		{"huge length", func(d []byte) []byte { return append(d, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4) }, span(1, 20)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			b := openBuf(t, dir, Options{})
			appendN(t, b, 1, 20)
			b.Close()
			segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
			if len(segs) != 1 {
				t.Fatalf("segments %v", segs)
			}
			data, _ := os.ReadFile(segs[0])
			if err := os.WriteFile(segs[0], tc.damage(bytes.Clone(data)), 0o640); err != nil {
				t.Fatal(err)
			}
			b = openBuf(t, dir, Options{})
			if got := seqs(t, b); !equalSeqs(got, tc.want) {
				t.Fatalf("records after damage = %v, want %v", got, tc.want)
			}
			st, _ := os.Stat(segs[0])
			if wantSize := int64(len(tc.want)) * int64(headerSize+len(payload(1))); st.Size() != wantSize {
				t.Errorf("segment is %d bytes after open, want truncated to %d", st.Size(), wantSize)
			}
			// Appends continue cleanly after the truncated tail.
			next := tc.want[len(tc.want)-1] + 1
			appendN(t, b, next, next+2)
			b.Close()
			b = openBuf(t, dir, Options{})
			if got := seqs(t, b); !equalSeqs(got, append(tc.want, next, next+1, next+2)) {
				t.Fatalf("after append and reopen = %v", got)
			}
		})
	}
}

func TestBufferSizeBound(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b := openBuf(t, dir, Options{MaxBytes: 16 << 10, SegmentBytes: 4096})
	appendN(t, b, 1, 2000) // 36 bytes each: ~72 KB through a 16 KiB buffer
	var total int64
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	for _, s := range segs {
		st, _ := os.Stat(s)
		total += st.Size()
	}
	if total > 16<<10 {
		t.Errorf("segments hold %d bytes, bound is %d", total, 16<<10)
	}
	got := seqs(t, b)
	if len(got) == 0 || got[len(got)-1] != 2000 || !equalSeqs(got, span(got[0], 2000)) {
		t.Fatalf("kept records are not the newest contiguous run: %v", got)
	}
	dropped := testutil.ToFloat64(b.dropped.WithLabelValues("size"))
	if dropped != float64(got[0]-1) {
		t.Errorf("dropped(size) = %v, want %d (records 1..%d)", dropped, got[0]-1, got[0]-1)
	}
}

func TestBufferAgeBound(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC))
	b := openBuf(t, t.TempDir(), Options{MaxAge: time.Hour, SegmentBytes: 4096, Clock: clock})
	appendN(t, b, 1, 200) // 7200 bytes: two segments
	if err := b.Ack(50); err != nil {
		t.Fatal(err)
	}
	clock.Advance(61 * time.Minute)
	appendN(t, b, 201, 400)
	got := seqs(t, b)
	if len(got) == 0 || got[0] <= 200 || got[len(got)-1] != 400 {
		t.Fatalf("after an hour, pending %v..%v, want only records newer than the age bound", got[0], got[len(got)-1])
	}
	// Records 51..200 were unsent; those in dropped segments count, acked ones don't.
	if dropped := testutil.ToFloat64(b.dropped.WithLabelValues("age")); dropped != 150 {
		t.Errorf("dropped(age) = %v, want 150", dropped)
	}
}

func FuzzParseSegment(f *testing.F) {
	var seg []byte
	for i := uint64(1); i <= 3; i++ {
		seg = append(seg, encodeRecord(i, time.Unix(1700000000, 0), payload(i))...)
	}
	f.Add(seg)
	f.Add(seg[:len(seg)-3])
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, valid, err := parseSegment(data)
		if valid < 0 || valid > int64(len(data)) {
			t.Fatalf("valid prefix %d outside 0..%d", valid, len(data))
		}
		if (err == nil) != (valid == int64(len(data))) {
			t.Fatalf("err %v with valid %d of %d", err, valid, len(data))
		}
		// The valid prefix is exactly the records re-encoded.
		var again []byte
		for _, r := range recs {
			again = append(again, encodeRecord(r.Seq, r.Time, r.Data)...)
		}
		if !bytes.Equal(again, data[:valid]) {
			t.Fatalf("re-encoded records differ from the valid prefix")
		}
	})
}
