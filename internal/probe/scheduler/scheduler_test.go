package scheduler

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"go.uber.org/goleak"

	"github.com/roomwatch/roomwatch/internal/config"

	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe"
)

// guard bounds how long a test waits for goroutines to act on a clock
// advance; it is a failure limit, never a schedule.
const guard = 10 * time.Second

// collect is a Sink that counts results per target.
type collect struct {
	mu      sync.Mutex
	results []probe.Result
	changed chan struct{}
}

func newCollect() *collect { return &collect{changed: make(chan struct{}, 1)} }

func (c *collect) Write(_ context.Context, rs []probe.Result) error {
	c.mu.Lock()
	c.results = append(c.results, rs...)
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
	return nil
}

// waitFor blocks until cond holds over the results, or fails after guard.
func (c *collect) waitFor(t *testing.T, what string, cond func([]probe.Result) bool) {
	t.Helper()
	deadline := time.After(guard)
	for {
		c.mu.Lock()
		ok := cond(c.results)
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-c.changed:
		case <-deadline:
			c.mu.Lock()
			n := len(c.results)
			c.mu.Unlock()
			t.Fatalf("waiting for %s: gave up after %v with %d results", what, guard, n)
		}
	}
}

func count(rs []probe.Result, name string, failed bool) int {
	n := 0
	for _, r := range rs {
		if r.Target.Name == name && (r.Err != nil) == failed {
			n++
		}
	}
	return n
}

// proberFunc adapts a function to probe.Prober.
type proberFunc func(ctx context.Context, t inventory.Target) probe.Result

func (f proberFunc) Probe(ctx context.Context, t inventory.Target) probe.Result { return f(ctx, t) }

func mkTargets(prefix string, n int, class inventory.Class) []inventory.Target {
	var out []inventory.Target
	for i := range n {
		d := &inventory.Device{Name: fmt.Sprintf("%s-%03d", prefix, i), Class: class, Address: fmt.Sprintf("127.0.0.%d", i+1)}
		out = append(out, inventory.Target{Device: d, Name: d.Name, Address: d.Address})
	}
	return out
}

func jobsFor(ts []inventory.Target, kind string, iv, timeout time.Duration) []*Job {
	var out []*Job
	for _, t := range ts {
		out = append(out, &Job{Target: t, Kind: kind, Interval: iv, Timeout: timeout})
	}
	return out
}

func TestOffsetDeterministicAndSpread(t *testing.T) {
	t.Parallel()
	const iv = time.Minute
	buckets := make([]int, 10)
	for i := range 5000 {
		name := fmt.Sprintf("cams/10.1.%d.%d", i/250, i%250)
		o := Offset(name, "rtsp", iv)
		if o < 0 || o >= iv {
			t.Fatalf("offset %v outside [0, %v)", o, iv)
		}
		if o2 := Offset(name, "rtsp", iv); o2 != o {
			t.Fatalf("offset of %s changed: %v then %v", name, o, o2)
		}
		buckets[o*10/iv]++
	}
	for i, n := range buckets {
		if n < 400 || n > 600 { // 500 expected per 6 s slice
			t.Errorf("slice %d holds %d of 5000 starts: jitter is lumpy %v", i, n, buckets)
		}
	}
	if Offset("a", "icmp", iv) == Offset("a", "rtsp", iv) {
		t.Error("two checks of one device start together")
	}
}

func TestFirstDue(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 11, 22, 10, 0, 30, 0, time.UTC)
	for _, tc := range []struct {
		off  time.Duration
		want time.Time
	}{
		{40 * time.Second, time.Date(2026, 11, 22, 10, 0, 40, 0, time.UTC)},
		{10 * time.Second, time.Date(2026, 11, 22, 10, 1, 10, 0, time.UTC)},
		{30 * time.Second, from},
	} {
		if got := firstDue(from, time.Minute, tc.off); !got.Equal(tc.want) {
			t.Errorf("firstDue(+%v) = %v, want %v", tc.off, got, tc.want)
		}
	}
}

// expected returns how many starts a job has had by now.
func expected(start, now time.Time, j *Job) int {
	n := 0
	for d := firstDue(start, j.Interval, Offset(j.Target.Name, j.Kind, j.Interval)); !d.After(now); d = d.Add(j.Interval) {
		n++
	}
	return n
}

func TestDeadDevicesDoNotDelayOthers(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 22, 10, 0, 0, 500, time.UTC)
	fc := clockwork.NewFakeClockAt(start)
	const iv, timeout = 10 * time.Second, 4 * time.Second
	good := mkTargets("cam", 40, inventory.ClassCamera)
	dead := mkTargets("dead", 6, inventory.ClassCamera)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	isDead := map[string]bool{}
	for _, d := range dead {
		isDead[d.Name] = true
	}
	var p proberFunc = func(ctx context.Context, tg inventory.Target) probe.Result {
		if isDead[tg.Name] {
			<-release // ignores its context: the worst kind of stuck
		}
		return probe.Result{}
	}
	jobs := jobsFor(append(append([]inventory.Target{}, good...), dead...), "rtsp", iv, timeout)
	sink := newCollect()
	s, err := New(Options{Clock: fc, Concurrency: 8, Probers: map[string]probe.Prober{"rtsp": p}, Sinks: []Sink{sink}}, jobs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	waitStarted(t, fc)

	const rounds = 4
	for round := 1; round <= rounds; round++ {
		fc.Advance(iv)
		now := fc.Now()
		sink.waitFor(t, fmt.Sprintf("round %d of the good cameras", round), func(rs []probe.Result) bool {
			for _, j := range jobs[:len(good)] {
				if count(rs, j.Target.Name, false) < expected(start, now, j) {
					return false
				}
			}
			return true
		})
	}
	// The dead ones timed out once and, still stuck, were not started again.
	sink.waitFor(t, "the dead devices' timeouts", func(rs []probe.Result) bool {
		for _, d := range dead {
			if count(rs, d.Name, true) < 1 {
				return false
			}
		}
		return true
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	for _, j := range jobs[:len(good)] {
		if got, want := count(sink.results, j.Target.Name, false), expected(start, fc.Now(), j); got != want {
			t.Errorf("%s: %d results, want %d (one per interval)", j.Target.Name, got, want)
		}
	}
	for _, d := range dead {
		if got := count(sink.results, d.Name, true); got != 1 {
			t.Errorf("%s: %d timeout results, want 1 (a stuck probe is not restarted)", d.Name, got)
		}
		for _, r := range sink.results {
			if r.Target.Name == d.Name && probe.Reason(r.Err) != probe.ReasonTimeout {
				t.Errorf("%s: reason %q, want timeout", d.Name, probe.Reason(r.Err))
			}
		}
	}
}

func TestConcurrencyBound(t *testing.T) {
	t.Parallel()
	fc := clockwork.NewFakeClockAt(time.Date(2026, 11, 22, 10, 0, 0, 1, time.UTC))
	const limit = 5
	var inflight, peak atomic.Int32
	gate := make(chan struct{})
	var p proberFunc = func(ctx context.Context, _ inventory.Target) probe.Result {
		n := inflight.Add(1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		<-gate
		inflight.Add(-1)
		return probe.Result{}
	}
	targets := mkTargets("nvr", 60, inventory.ClassNVR)
	sink := newCollect()
	s, err := New(Options{Clock: fc, Concurrency: limit, Probers: map[string]probe.Prober{"isapi": p}, Sinks: []Sink{sink}},
		jobsFor(targets, "isapi", time.Hour, 30*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	waitStarted(t, fc)
	fc.Advance(time.Hour)
	deadline := time.Now().Add(guard)
	for inflight.Load() < limit {
		if time.Now().After(deadline) {
			t.Fatalf("only %d probes started", inflight.Load())
		}
		time.Sleep(time.Millisecond) // polling for goroutines to start, not waiting for a deadline
	}
	close(gate)
	sink.waitFor(t, "all 60 results", func(rs []probe.Result) bool { return len(rs) >= 60 })
	cancel()
	<-done
	if got := peak.Load(); got != limit {
		t.Errorf("peak in flight %d, want exactly the bound %d", got, limit)
	}
}

// batcher records the batches it gets.
type batcher struct {
	mu    sync.Mutex
	sizes []int
}

func (b *batcher) ProbeAll(_ context.Context, ts []inventory.Target) []probe.Result {
	b.mu.Lock()
	b.sizes = append(b.sizes, len(ts))
	b.mu.Unlock()
	out := make([]probe.Result, len(ts))
	for i := range out {
		out[i].Add("roomwatch_icmp_rtt_seconds", probe.Gauge, 0.001, "", nil)
	}
	return out
}

func TestICMPIsBatched(t *testing.T) {
	t.Parallel()
	fc := clockwork.NewFakeClockAt(time.Date(2026, 11, 22, 10, 0, 0, 1, time.UTC))
	targets := mkTargets("cam", 300, inventory.ClassCamera)
	b := &batcher{}
	sink := newCollect()
	var rtsp proberFunc = func(context.Context, inventory.Target) probe.Result { return probe.Result{} }
	jobs := append(jobsFor(targets, "icmp", time.Minute, 10*time.Second), jobsFor(targets[:10], "rtsp", time.Minute, 10*time.Second)...)
	for _, j := range jobs[:150] {
		j.Brief = true // the scheduler hands it on to the results
	}
	s, err := New(Options{Clock: fc, Probers: map[string]probe.Prober{"rtsp": rtsp}, Batch: map[string]BatchProber{"icmp": b}, Sinks: []Sink{sink}}, jobs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	waitStarted(t, fc)
	fc.Advance(time.Minute)
	sink.waitFor(t, "310 results", func(rs []probe.Result) bool { return len(rs) >= 310 })
	cancel()
	<-done
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.sizes) != 1 || b.sizes[0] != 300 {
		t.Errorf("ping batches %v, want one of 300", b.sizes)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	brief := map[string]bool{}
	for _, j := range jobs[:150] {
		brief[j.Target.Name] = true
	}
	for _, r := range sink.results {
		if r.Probe == "" || r.Target.Device == nil {
			t.Fatalf("result without identity: %+v", r)
		}
		if want := r.Probe == "icmp" && brief[r.Target.Name]; r.Brief != want {
			t.Errorf("%s %s: Brief %v, want %v", r.Target.Name, r.Probe, r.Brief, want)
		}
	}
}

func TestBatchOffsetOnSlots(t *testing.T) {
	t.Parallel()
	const iv = time.Minute
	slots := map[time.Duration]int{}
	for i := range 5000 {
		name := fmt.Sprintf("cams/10.1.%d.%d", i/250, i%250)
		o := batchOffset(name, "icmp", iv)
		if o < 0 || o >= iv || o%BatchSlot != 0 {
			t.Fatalf("batch offset %v of %s: not a multiple of %v within [0, %v)", o, name, BatchSlot, iv)
		}
		if full := Offset(name, "icmp", iv); o > full || full-o >= BatchSlot {
			t.Fatalf("batch offset %v of %s is not Offset %v rounded down", o, name, full)
		}
		slots[o]++
	}
	if len(slots) != int(iv/BatchSlot) {
		t.Errorf("5000 targets use %d slots of a %v interval, want all %d", len(slots), iv, iv/BatchSlot)
	}
}

// TestFleetPingedInSlots steps a fake clock through one interval in 100 ms
// steps, as a real clock wakes the scheduler at every due start: the ICMP
// jobs of 300 targets must go out in at most one batch per BatchSlot, not one
// batch per target.
func TestFleetPingedInSlots(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 22, 10, 0, 0, 1, time.UTC)
	fc := clockwork.NewFakeClockAt(start)
	targets := mkTargets("cam", 300, inventory.ClassCamera)
	b := &batcher{}
	sink := newCollect()
	s, err := New(Options{Clock: fc, Batch: map[string]BatchProber{"icmp": b}, Sinks: []Sink{sink}}, jobsFor(targets, "icmp", time.Minute, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	waitStarted(t, fc)
	// One interval: every target's first slot and none of its second.
	for range 600 {
		fc.Advance(100 * time.Millisecond)
		waitStarted(t, fc)
	}
	// Wait for the batches themselves, not for the results: under load a
	// batch goroutine may run after its fake deadline (its targets then also
	// get timeout results), but ProbeAll is still called with the batch.
	pinged := func() (total int, sizes []int) {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, n := range b.sizes {
			total += n
		}
		return total, append([]int(nil), b.sizes...)
	}
	deadline := time.Now().Add(guard)
	for {
		if total, _ := pinged(); total >= 300 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	total, sizes := pinged()
	if total != 300 || len(sizes) > int(time.Minute/BatchSlot) || len(sizes) < 2 {
		t.Errorf("%d targets pinged in %d batches %v, want 300 in 2 to %d", total, len(sizes), sizes, time.Minute/BatchSlot)
	}
}

func TestCancelStopsEverything(t *testing.T) {
	// Not parallel: goleak looks at every goroutine of the process.
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	fc := clockwork.NewFakeClockAt(time.Date(2026, 11, 22, 10, 0, 0, 1, time.UTC))
	var started atomic.Int32
	var p proberFunc = func(ctx context.Context, _ inventory.Target) probe.Result {
		started.Add(1)
		<-ctx.Done()
		return probe.Result{Err: ctx.Err()}
	}
	b := &batcher{}
	targets := mkTargets("sw", 20, inventory.ClassSwitch)
	jobs := append(jobsFor(targets, "snmp", time.Minute, 50*time.Second), jobsFor(targets, "icmp", time.Minute, 50*time.Second)...)
	sink := newCollect()
	s, err := New(Options{Clock: fc, Concurrency: 4, Probers: map[string]probe.Prober{"snmp": p}, Batch: map[string]BatchProber{"icmp": b}, Sinks: []Sink{sink}}, jobs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	waitStarted(t, fc)
	fc.Advance(time.Minute)
	deadline := time.Now().Add(guard)
	for started.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatal("probes did not start")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(guard):
		t.Fatal("Run did not return after cancel")
	}
}

func TestPlanAndConfig(t *testing.T) {
	t.Parallel()
	inv := inventory.Inventory{Devices: []inventory.Device{
		{Name: "cam1", Class: inventory.ClassCamera, Address: "127.0.0.1"},
		{Name: "nvr-hik", Class: inventory.ClassNVR, Vendor: "海康威视", Address: "127.0.0.2"},
		{Name: "nvr-dh", Class: inventory.ClassNVR, Vendor: "Dahua", Address: "127.0.0.3"},
		{Name: "kk1", Class: inventory.ClassCheckpoint, Address: "127.0.0.4", Probe: inventory.ProbeOptions{UploadDir: "/srv/ftp/kk1"}},
		{Name: "ups1", Class: inventory.ClassUPS, Address: "127.0.0.5"},
		{Name: "sw1", Class: inventory.ClassSwitch, Address: "127.0.0.6", Probes: []string{"icmp"}, Interval: 20_000_000_000},
	}}
	targets, err := inv.Targets()
	if err != nil {
		t.Fatal(err)
	}
	cfg := &Config{}
	jobs, err := Plan(targets, cfg, func(k string) bool { return k != "snmp" })
	if err == nil {
		t.Error("snmp missing but no error")
	}
	got := map[string]string{}
	for _, j := range jobs {
		got[j.Target.Name] += j.Kind + fmt.Sprintf("@%v/%v ", j.Interval, j.Timeout)
	}
	want := map[string]string{
		"cam1":    "icmp@1m0s/10s rtsp@1m0s/10s ",
		"nvr-hik": "icmp@1m0s/10s isapi@1m0s/10s ",
		"nvr-dh":  "icmp@1m0s/10s dahua@1m0s/10s ",
		"kk1":     "icmp@1m0s/10s tcp@1m0s/10s checkpoint@1m0s/10s ",
		"ups1":    "icmp@30s/10s ",
		"sw1":     "icmp@20s/6.666666666s ",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %q, want %q", k, got[k], w)
		}
	}
	// Series levels: brief for cameras and checkpoints by default,
	// probes.series overrides per class.
	briefOf := func(cfg *Config) map[string]bool {
		out := map[string]bool{}
		jobs, _ := Plan(targets, cfg, func(string) bool { return true })
		for _, j := range jobs {
			out[j.Target.Name] = j.Brief
		}
		return out
	}
	if got, want := briefOf(&Config{}), map[string]bool{"cam1": true, "kk1": true}; !mapsEqualTrue(got, want) {
		t.Errorf("default brief devices %v, want %v", got, want)
	}
	var levels Config
	if err := config.Decode("c.yml", []byte("series: {camera: full, ups: brief}\n"), &levels); err != nil {
		t.Fatal(err)
	}
	if got, want := briefOf(&levels), map[string]bool{"kk1": true, "ups1": true}; !mapsEqualTrue(got, want) {
		t.Errorf("probes.series brief devices %v, want %v", got, want)
	}
	for y, want := range map[string]string{
		"intervals: {camera: 1m}\nseries: {camera: terse}\n": `c.yml:2: probes.series: "terse" is neither "full" nor "brief"`,
		"series: {toaster: brief}\n":                         `probes.series: unknown class "toaster"`,
	} {
		if err := config.Decode("c.yml", []byte(y), &Config{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", y, err, want)
		}
	}
	bad := []Config{
		{Intervals: map[inventory.Class]configDuration{"toaster": 1}},
		{Timeout: configDuration(time.Minute), Intervals: map[inventory.Class]configDuration{inventory.ClassUPS: configDuration(30 * time.Second)}},
		{ByClass: map[inventory.Class][]string{inventory.ClassCamera: {"telnet"}}},
		{Concurrency: -1},
	}
	for i, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("bad config %d accepted", i)
		}
	}
}

type configDuration = config.Duration

// mapsEqualTrue reports whether the keys mapped to true are the same in a and b.
func mapsEqualTrue(a, b map[string]bool) bool {
	for k, v := range a {
		if v != b[k] {
			return false
		}
	}
	for k, v := range b {
		if v != a[k] {
			return false
		}
	}
	return true
}

// TestOldChecksSpelling: `probes.checks` (the name before "probe" became the
// one word) is read into by_class with a deprecation; both set is an error.
func TestOldChecksSpelling(t *testing.T) {
	var c Config
	if err := config.Decode("c.yml", []byte("checks: {camera: [icmp]}\n"), &c); err != nil {
		t.Fatal(err)
	}
	if got := c.ByClass[inventory.ClassCamera]; !slices.Equal(got, []string{"icmp"}) {
		t.Errorf("by_class camera = %v", got)
	}
	if d := c.Deprecations(); len(d) != 1 || !strings.Contains(d[0], "probes.checks is renamed probes.by_class") {
		t.Errorf("deprecations %q", d)
	}
	var fresh Config
	if err := config.Decode("c.yml", []byte("by_class: {camera: [icmp]}\n"), &fresh); err != nil || fresh.Deprecations() != nil {
		t.Errorf("new name: err %v, deprecations %q", err, fresh.Deprecations())
	}
	err := config.Decode("c.yml", []byte("checks: {camera: [icmp]}\nby_class: {camera: [tcp]}\n"), &Config{})
	if err == nil || !strings.Contains(err.Error(), "probes.checks and probes.by_class are both set") {
		t.Errorf("both set: %v", err)
	}
}

// waitStarted returns once Run has read its start time and waits on its timer.
func waitStarted(t *testing.T, fc *clockwork.FakeClock) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	if err := fc.BlockUntilContext(ctx, 1); err != nil {
		t.Fatalf("scheduler did not start: %v", err)
	}
}
