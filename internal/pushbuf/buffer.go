package pushbuf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
)

// Record framing: a 24-byte header, then the payload.
//
//	0  uint32  payload length
//	4  uint32  CRC-32C of bytes 8.. (sequence, time, payload)
//	8  uint64  sequence number
//	16 int64   append time, Unix nanoseconds
//	24 payload
const headerSize = 24

// MaxRecordBytes bounds one record's payload; a longer length field is
// treated as corruption.
const MaxRecordBytes = 64 << 20

const (
	segmentSuffix = ".seg"
	cursorFile    = "cursor"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Options configures Open. Zero fields take the defaults shown.
type Options struct {
	// MaxBytes bounds the segment files' total size (default 256 MiB).
	MaxBytes int64
	// MaxAge bounds how old a buffered record may get (default 24h).
	MaxAge time.Duration
	// SegmentBytes is the size at which a new segment starts (default
	// MaxBytes/16, at most 16 MiB).
	SegmentBytes int64
	// Clock stamps records and judges their age (default: real clock).
	Clock clockwork.Clock
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Registerer receives the buffer's metrics; nil registers nothing.
	Registerer prometheus.Registerer
}

// Record is one buffered entry.
type Record struct {
	Seq  uint64
	Time time.Time
	Data []byte
}

type entry struct {
	seq  uint64
	off  int64 // of the header within the segment
	size int32 // payload size
	seg  *segment
}

type segment struct {
	first     uint64
	last      uint64 // 0 while empty
	lastTime  int64  // newest record's time, Unix ns
	firstTime int64  // oldest record's time, Unix ns
	size      int64
	path      string
	f         *os.File
}

// Buffer is the on-disk record buffer. Its methods are safe for concurrent use.
type Buffer struct {
	dir  string
	opts Options

	mu       sync.Mutex
	segs     []*segment // oldest first; the last one is appended to
	index    []entry    // unacknowledged records, in order
	acked    uint64
	next     uint64
	total    int64
	closed   bool
	dropped  *prometheus.CounterVec
	pending  prometheus.GaugeFunc
	sizeG    prometheus.GaugeFunc
	appended prometheus.Counter
}

// ErrClosed is returned by operations on a closed Buffer.
var ErrClosed = errors.New("pushbuf: buffer closed")

// Open opens (creating if needed) the buffer in dir. A torn or corrupt tail
// left by a crash is detected by its CRC and truncated away.
func Open(dir string, opts Options) (*Buffer, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 256 << 20
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = 24 * time.Hour
	}
	if opts.SegmentBytes <= 0 {
		opts.SegmentBytes = min(opts.MaxBytes/16, 16<<20)
	}
	opts.SegmentBytes = max(opts.SegmentBytes, 4096)
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("pushbuf: %w", err)
	}
	b := &Buffer{dir: dir, opts: opts}
	b.dropped = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roomwatch_pushbuf_dropped_records_total",
		Help: "Unsent records the push buffer dropped, by reason (size, age bound; corrupt on open).",
	}, []string{"reason"})
	b.appended = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "roomwatch_pushbuf_appended_records_total",
		Help: "Records appended to the push buffer.",
	})
	b.pending = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "roomwatch_pushbuf_pending_records",
		Help: "Records in the push buffer not yet acknowledged by the collector.",
	}, func() float64 { return float64(b.Pending()) })
	b.sizeG = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "roomwatch_pushbuf_size_bytes",
		Help: "Size of the push buffer's segment files.",
	}, func() float64 { b.mu.Lock(); defer b.mu.Unlock(); return float64(b.total) })
	for _, r := range []string{"size", "age", "corrupt"} {
		b.dropped.WithLabelValues(r)
	}
	if err := b.load(); err != nil {
		b.closeFiles()
		return nil, err
	}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(b.dropped, b.appended, b.pending, b.sizeG)
	}
	return b, nil
}

func (b *Buffer) load() error {
	acked, err := readCursor(filepath.Join(b.dir, cursorFile))
	if err != nil {
		return err
	}
	b.acked = acked
	names, err := filepath.Glob(filepath.Join(b.dir, "*"+segmentSuffix))
	if err != nil {
		return fmt.Errorf("pushbuf: %w", err)
	}
	type named struct {
		first uint64
		path  string
	}
	var files []named
	for _, p := range names {
		first, err := strconv.ParseUint(strings.TrimSuffix(filepath.Base(p), segmentSuffix), 16, 64)
		if err != nil {
			b.opts.Logger.Warn("pushbuf: ignoring stray file", "path", p)
			continue
		}
		files = append(files, named{first, p})
	}
	slices.SortFunc(files, func(a, c named) int { return compareU64(a.first, c.first) })
	var last uint64
	for _, nf := range files {
		data, err := os.ReadFile(nf.path)
		if err != nil {
			return fmt.Errorf("pushbuf: %w", err)
		}
		recs, valid, perr := parseSegment(data)
		seg := &segment{first: nf.first, path: nf.path}
		for _, r := range recs {
			if r.Seq <= last || (seg.last != 0 && r.Seq != seg.last+1) {
				perr = fmt.Errorf("sequence %d after %d", r.Seq, max(last, seg.last))
				valid = r.off
				break
			}
			if seg.last == 0 {
				seg.firstTime = r.Time.UnixNano()
			}
			seg.last, seg.lastTime = r.Seq, r.Time.UnixNano()
			if r.Seq > b.acked {
				b.index = append(b.index, entry{seq: r.Seq, off: r.off, size: int32(len(r.Data)), seg: seg})
			}
		}
		if perr != nil {
			b.opts.Logger.Warn("pushbuf: truncating damaged segment", "path", nf.path, "at", valid, "size", len(data), "err", perr)
			b.dropped.WithLabelValues("corrupt").Inc()
			if err := os.Truncate(nf.path, valid); err != nil {
				return fmt.Errorf("pushbuf: truncate %s: %w", nf.path, err)
			}
		}
		// Drop entries cut off by a sequence error.
		for len(b.index) > 0 && b.index[len(b.index)-1].seg == seg && b.index[len(b.index)-1].off >= valid {
			b.index = b.index[:len(b.index)-1]
		}
		seg.size = valid
		if seg.last == 0 {
			if err := os.Remove(nf.path); err != nil {
				return fmt.Errorf("pushbuf: %w", err)
			}
			continue
		}
		f, err := os.OpenFile(nf.path, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("pushbuf: %w", err)
		}
		seg.f = f
		b.segs = append(b.segs, seg)
		b.total += seg.size
		last = seg.last
	}
	b.next = max(last, b.acked) + 1
	return b.removeAcked()
}

func compareU64(a, c uint64) int {
	switch {
	case a < c:
		return -1
	case a > c:
		return 1
	}
	return 0
}

// parsedRecord is a record read back with its offset.
type parsedRecord struct {
	Record
	off int64
}

// parseSegment decodes the records of a segment file's contents. It returns
// the records up to the first damaged one, the length of that valid prefix,
// and an error describing the damage (nil when data is entirely valid).
func parseSegment(data []byte) ([]parsedRecord, int64, error) {
	var recs []parsedRecord
	off := 0
	for off < len(data) {
		if len(data)-off < headerSize {
			return recs, int64(off), fmt.Errorf("torn header at %d", off)
		}
		h := data[off : off+headerSize]
		n := binary.LittleEndian.Uint32(h[0:4])
		if n > MaxRecordBytes {
			return recs, int64(off), fmt.Errorf("record length %d at %d exceeds the limit", n, off)
		}
		end := off + headerSize + int(n)
		if end > len(data) {
			return recs, int64(off), fmt.Errorf("torn record at %d", off)
		}
		if crc32.Checksum(data[off+8:end], castagnoli) != binary.LittleEndian.Uint32(h[4:8]) {
			return recs, int64(off), fmt.Errorf("checksum mismatch at %d", off)
		}
		seq := binary.LittleEndian.Uint64(h[8:16])
		if seq == 0 {
			return recs, int64(off), fmt.Errorf("zero sequence at %d", off)
		}
		recs = append(recs, parsedRecord{
			Record: Record{Seq: seq, Time: time.Unix(0, int64(binary.LittleEndian.Uint64(h[16:24]))), Data: data[off+headerSize : end]},
			off:    int64(off),
		})
		off = end
	}
	return recs, int64(off), nil
}

func encodeRecord(seq uint64, t time.Time, payload []byte) []byte {
	buf := make([]byte, headerSize+len(payload))
	binary.LittleEndian.PutUint32(buf[0:4], uint32(len(payload)))
	binary.LittleEndian.PutUint64(buf[8:16], seq)
	binary.LittleEndian.PutUint64(buf[16:24], uint64(t.UnixNano()))
	copy(buf[headerSize:], payload)
	binary.LittleEndian.PutUint32(buf[4:8], crc32.Checksum(buf[8:], castagnoli))
	return buf
}

// Append stores data as the next record, fsynced before it returns, and
// returns its sequence number. It then enforces the size and age bounds.
func (b *Buffer) Append(data []byte) (uint64, error) {
	if len(data) > MaxRecordBytes {
		return 0, fmt.Errorf("pushbuf: record of %d bytes exceeds %d", len(data), MaxRecordBytes)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, ErrClosed
	}
	now := b.opts.Clock.Now()
	seg := b.active()
	// A segment also closes after an eighth of MaxAge, so that age is
	// enforced at that granularity.
	if seg == nil || seg.size >= b.opts.SegmentBytes ||
		(seg.last != 0 && now.UnixNano()-seg.firstTime > int64(b.opts.MaxAge/8)) {
		var err error
		if seg, err = b.newSegment(); err != nil {
			return 0, err
		}
	}
	seq := b.next
	rec := encodeRecord(seq, now, data)
	if _, err := seg.f.WriteAt(rec, seg.size); err != nil {
		return 0, fmt.Errorf("pushbuf: write: %w", err)
	}
	if err := seg.f.Sync(); err != nil {
		return 0, fmt.Errorf("pushbuf: sync: %w", err)
	}
	b.index = append(b.index, entry{seq: seq, off: seg.size, size: int32(len(data)), seg: seg})
	seg.size += int64(len(rec))
	if seg.last == 0 {
		seg.firstTime = now.UnixNano()
	}
	seg.last, seg.lastTime = seq, now.UnixNano()
	b.total += int64(len(rec))
	b.next++
	b.appended.Inc()
	b.enforceBounds(now)
	return seq, nil
}

func (b *Buffer) active() *segment {
	if len(b.segs) == 0 {
		return nil
	}
	return b.segs[len(b.segs)-1]
}

func (b *Buffer) newSegment() (*segment, error) {
	p := filepath.Join(b.dir, fmt.Sprintf("%016x%s", b.next, segmentSuffix))
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return nil, fmt.Errorf("pushbuf: %w", err)
	}
	if err := syncDir(b.dir); err != nil {
		f.Close()
		return nil, err
	}
	seg := &segment{first: b.next, path: p, f: f}
	b.segs = append(b.segs, seg)
	return seg, nil
}

// enforceBounds deletes the oldest segments (never the active one) while the
// buffer is over MaxBytes or their newest record is older than MaxAge.
func (b *Buffer) enforceBounds(now time.Time) {
	cutoff := now.Add(-b.opts.MaxAge).UnixNano()
	for len(b.segs) > 1 {
		seg := b.segs[0]
		var reason string
		switch {
		case b.total > b.opts.MaxBytes:
			reason = "size"
		case seg.lastTime < cutoff:
			reason = "age"
		default:
			return
		}
		n := 0
		for n < len(b.index) && b.index[n].seg == seg {
			n++
		}
		if n > 0 {
			b.opts.Logger.Warn("pushbuf: dropping unsent records past the buffer bound",
				"reason", reason, "records", n, "first", b.index[0].seq, "last", b.index[n-1].seq)
			b.dropped.WithLabelValues(reason).Add(float64(n))
			b.index = b.index[n:]
		}
		b.removeSegment(seg)
	}
}

func (b *Buffer) removeSegment(seg *segment) {
	seg.f.Close()
	if err := os.Remove(seg.path); err != nil {
		b.opts.Logger.Warn("pushbuf: remove segment", "path", seg.path, "err", err)
	}
	b.total -= seg.size
	b.segs = slices.DeleteFunc(b.segs, func(s *segment) bool { return s == seg })
}

// Read returns up to maxRecords unacknowledged records with sequence above
// after, in order, stopping before maxBytes of payload is exceeded (at least
// one record is returned when one is available).
func (b *Buffer) Read(after uint64, maxRecords, maxBytes int) ([]Record, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	i, _ := slices.BinarySearchFunc(b.index, after+1, func(e entry, s uint64) int { return compareU64(e.seq, s) })
	var out []Record
	total := 0
	for ; i < len(b.index) && len(out) < maxRecords; i++ {
		e := b.index[i]
		if len(out) > 0 && total+int(e.size) > maxBytes {
			break
		}
		buf := make([]byte, headerSize+int(e.size))
		if _, err := e.seg.f.ReadAt(buf, e.off); err != nil {
			return out, fmt.Errorf("pushbuf: read record %d: %w", e.seq, err)
		}
		recs, _, err := parseSegment(buf)
		if err != nil || len(recs) != 1 || recs[0].Seq != e.seq {
			return out, fmt.Errorf("pushbuf: record %d damaged on disk: %v", e.seq, err)
		}
		out = append(out, recs[0].Record)
		total += int(e.size)
	}
	return out, nil
}

// Ack records that every record up to seq was delivered: the cursor file is
// replaced atomically and fully delivered segments are deleted.
func (b *Buffer) Ack(seq uint64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	if seq <= b.acked {
		return nil
	}
	if err := writeCursor(b.dir, seq); err != nil {
		return err
	}
	b.acked = seq
	return b.removeAcked()
}

// removeAcked trims the index and deletes segments wholly acknowledged,
// except the one being appended to.
func (b *Buffer) removeAcked() error {
	n := 0
	for n < len(b.index) && b.index[n].seq <= b.acked {
		n++
	}
	b.index = b.index[n:]
	for len(b.segs) > 1 && b.segs[0].last <= b.acked {
		b.removeSegment(b.segs[0])
	}
	return nil
}

// Acked returns the highest acknowledged sequence number.
func (b *Buffer) Acked() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.acked
}

// LastSeq returns the sequence number of the newest record ever appended
// (0 when none).
func (b *Buffer) LastSeq() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.next - 1
}

// Pending returns the number of unacknowledged records held.
func (b *Buffer) Pending() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.index)
}

// Close closes the segment files. Records stay on disk for the next Open.
func (b *Buffer) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	b.closeFiles()
	return nil
}

func (b *Buffer) closeFiles() {
	for _, s := range b.segs {
		if s.f != nil {
			s.f.Close()
		}
	}
}

// Cursor file: 8-byte little-endian sequence, 4-byte CRC-32C of it.
func readCursor(path string) (uint64, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("pushbuf: %w", err)
	}
	if len(data) != 12 || crc32.Checksum(data[:8], castagnoli) != binary.LittleEndian.Uint32(data[8:]) {
		return 0, fmt.Errorf("pushbuf: cursor file %s is damaged (%d bytes); remove it to resend everything buffered", path, len(data))
	}
	return binary.LittleEndian.Uint64(data[:8]), nil
}

func writeCursor(dir string, seq uint64) error {
	var data [12]byte
	binary.LittleEndian.PutUint64(data[:8], seq)
	binary.LittleEndian.PutUint32(data[8:], crc32.Checksum(data[:8], castagnoli))
	tmp := filepath.Join(dir, cursorFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("pushbuf: cursor: %w", err)
	}
	if _, err := f.Write(data[:]); err != nil {
		f.Close()
		return fmt.Errorf("pushbuf: cursor: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("pushbuf: cursor: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("pushbuf: cursor: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, cursorFile)); err != nil {
		return fmt.Errorf("pushbuf: cursor: %w", err)
	}
	return syncDir(dir)
}
