// Package scheduler runs the probes of the inventory on their intervals: per
// class intervals, starts spread over the interval by a deterministic jitter
// (a hash of the target and check), a timeout below the interval, a bounded
// number of probes in flight, and ICMP batched so that all ping targets due
// in one BatchSlot (their starts are rounded to it) go into one ProbeAll. A
// slow or dead device never delays the others. Results go to Sinks (the
// exposition store, the collector's TSDB).
//
// Time comes from an injected clockwork.Clock, so tests drive the schedule
// without sleeping.
package scheduler

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe"
)

// Sink receives probe results. The scheduler calls Write from one goroutine,
// in batches of whatever completed meanwhile.
type Sink interface {
	Write(ctx context.Context, results []probe.Result) error
}

// BatchProber probes many targets at once; the scheduler uses it for the
// kinds it is given (ICMP: one PingAll per moment). It returns one Result per
// target, in order.
type BatchProber interface {
	ProbeAll(ctx context.Context, targets []inventory.Target) []probe.Result
}

// Job is one check of one target.
type Job struct {
	Target   inventory.Target
	Kind     string
	Interval time.Duration
	Timeout  time.Duration
	// Brief is set on the job's results (Config.Brief).
	Brief bool

	next    time.Time
	running bool
	index   int // in the heap
}

// Offset is the deterministic start offset of a target's check within its
// interval: FNV-1a of "name|kind" modulo the interval.
func Offset(name, kind string, interval time.Duration) time.Duration {
	if interval <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	h.Write([]byte{'|'})
	h.Write([]byte(kind))
	return time.Duration(h.Sum64() % uint64(interval))
}

// BatchSlot is the grid that batch-probed checks (ICMP) start on: their
// Offset is rounded down to a multiple of it, so every target due within one
// slot goes into one ProbeAll. Without it each target of a fleet has its own
// start instant and a batch holds one target: 10,000 cameras on a 60 s
// interval made 10,000 batches a minute, each a goroutine, a timer and 3 s
// of a concurrency slot, instead of 60 batches of ≈ 170.
const BatchSlot = time.Second

// batchOffset is Offset rounded down to a multiple of BatchSlot.
func batchOffset(name, kind string, interval time.Duration) time.Duration {
	o := Offset(name, kind, interval)
	return o - o%BatchSlot
}

// Plan turns the inventory into jobs: one per target and check kind.
// Kinds that have neither a prober nor a batch prober are reported in the
// returned error (joined) and left out; the jobs that can run are returned.
func Plan(targets []inventory.Target, cfg *Config, have func(kind string) bool) ([]*Job, error) {
	var jobs []*Job
	missing := map[string][]string{}
	for _, t := range targets {
		for _, k := range cfg.ProbesFor(t.Device) {
			if !have(k) {
				missing[k] = append(missing[k], t.Device.Name)
				continue
			}
			jobs = append(jobs, &Job{Target: t, Kind: k, Interval: cfg.Interval(t.Device), Timeout: cfg.TimeoutFor(t.Device), Brief: cfg.Brief(t.Device)})
		}
	}
	var errs []error
	for _, k := range sortedKinds(missing) {
		devs := uniq(missing[k])
		errs = append(errs, &UnavailableError{Kind: k, Devices: devs})
	}
	return jobs, errors.Join(errs...)
}

// UnavailableError is Plan's error for a check kind this build or host
// cannot run (several are joined with errors.Join).
type UnavailableError struct {
	Kind    string
	Devices []string // the devices it was skipped for
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("check %q is not available in this build; skipped for %s", e.Kind, strings.Join(e.Devices, ", "))
}

// Unavailable lists the UnavailableErrors in Plan's error.
func Unavailable(err error) []*UnavailableError {
	var out []*UnavailableError
	var ue *UnavailableError
	if multi, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range multi.Unwrap() {
			if errors.As(e, &ue) {
				out = append(out, ue)
			}
		}
	} else if errors.As(err, &ue) {
		out = append(out, ue)
	}
	return out
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// Options configures a Scheduler.
type Options struct {
	Clock       clockwork.Clock // default: the real clock
	Logger      *slog.Logger    // default: slog.Default()
	Concurrency int             // default DefaultConcurrency
	Probers     map[string]probe.Prober
	Batch       map[string]BatchProber // kinds probed in batches (icmp)
	Sinks       []Sink
	// ResultBuffer is how many results may wait for the sinks; default 4096.
	ResultBuffer int
}

// Scheduler runs jobs until its context ends.
type Scheduler struct {
	opts  Options
	clock clockwork.Clock
	log   *slog.Logger
	sem   chan struct{}
	jobs  jobHeap
	mu    sync.Mutex // guards Job.running
	out   chan probe.Result
	wg    sync.WaitGroup

	// state per job key, for logging transitions only.
	lastUp map[string]bool
}

// New returns a Scheduler for jobs. Every job's kind must have a prober.
func New(opts Options, jobs []*Job) (*Scheduler, error) {
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.ResultBuffer <= 0 {
		opts.ResultBuffer = 4096
	}
	for _, j := range jobs {
		if opts.Probers[j.Kind] == nil && opts.Batch[j.Kind] == nil {
			return nil, fmt.Errorf("scheduler: no prober for check %q (target %s)", j.Kind, j.Target.Name)
		}
		if j.Interval <= 0 || j.Timeout <= 0 || j.Timeout >= j.Interval {
			return nil, fmt.Errorf("scheduler: %s %s: timeout %v must be positive and below the interval %v", j.Target.Name, j.Kind, j.Timeout, j.Interval)
		}
	}
	s := &Scheduler{
		opts: opts, clock: opts.Clock, log: opts.Logger,
		sem: make(chan struct{}, opts.Concurrency), out: make(chan probe.Result, opts.ResultBuffer),
		lastUp: map[string]bool{},
	}
	s.jobs = append(s.jobs, jobs...)
	return s, nil
}

// Run probes until ctx ends, then waits for the probes in flight (a prober
// that ignores its context is abandoned at its timeout) and the sinks.
func (s *Scheduler) Run(ctx context.Context) error {
	start := s.clock.Now()
	for _, j := range s.jobs {
		off := Offset(j.Target.Name, j.Kind, j.Interval)
		if s.opts.Batch[j.Kind] != nil {
			off = batchOffset(j.Target.Name, j.Kind, j.Interval)
		}
		j.next = firstDue(start, j.Interval, off)
	}
	heap.Init(&s.jobs)

	var sinkWG sync.WaitGroup
	sinkWG.Add(1)
	go func() { defer sinkWG.Done(); s.drain(ctx) }()

	for {
		now := s.clock.Now()
		batches := map[string][]*Job{}
		for len(s.jobs) > 0 && !s.jobs[0].next.After(now) {
			j := s.jobs[0]
			for !j.next.After(now) {
				j.next = j.next.Add(j.Interval)
			}
			heap.Fix(&s.jobs, 0)
			s.mu.Lock()
			busy := j.running
			if !busy {
				j.running = true
			}
			s.mu.Unlock()
			if busy {
				s.log.Debug("probe still running at its next start: skipped", "device", j.Target.Name, "probe", j.Kind)
				continue
			}
			if s.opts.Batch[j.Kind] != nil {
				batches[j.Kind] = append(batches[j.Kind], j)
				continue
			}
			s.wg.Add(1)
			go s.runOne(ctx, j)
		}
		for _, kind := range sortedKinds(batches) {
			s.wg.Add(1)
			go s.runBatch(ctx, kind, batches[kind])
		}
		var wait <-chan time.Time
		var timer clockwork.Timer
		if len(s.jobs) > 0 {
			next := s.jobs[0].next
			timer = s.clock.NewTimer(next.Sub(s.clock.Now()))
			wait = timer.Chan()
			if !next.After(s.clock.Now()) {
				timer.Stop() // the clock moved while the timer was made
				continue
			}
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			s.wg.Wait()
			close(s.out)
			sinkWG.Wait()
			return nil
		case <-wait:
		}
	}
}

// firstDue returns the first start at or after from whose position within
// the interval (counted from the Unix epoch) is offset, so that a restart
// keeps the same spread.
func firstDue(from time.Time, interval, offset time.Duration) time.Time {
	t := from.Truncate(interval).Add(offset)
	if t.Before(from) {
		t = t.Add(interval)
	}
	return t
}

func (s *Scheduler) acquire(ctx context.Context) bool {
	select {
	case s.sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *Scheduler) done(jobs ...*Job) {
	s.mu.Lock()
	for _, j := range jobs {
		j.running = false
	}
	s.mu.Unlock()
}

// runOne runs one job under the semaphore and its timeout. A prober that
// does not return by the timeout is given up on: its slot is released, a
// timeout result is reported, and the job is not started again until the
// prober returns.
func (s *Scheduler) runOne(ctx context.Context, j *Job) {
	defer s.wg.Done()
	if !s.acquire(ctx) {
		s.done(j)
		return
	}
	start := s.clock.Now()
	pctx, cancel := clockwork.WithTimeout(ctx, s.clock, j.Timeout)
	ch := make(chan probe.Result, 1)
	go func() { ch <- safeProbe(pctx, s.opts.Probers[j.Kind], j.Target, j.Kind) }()
	var r probe.Result
	returned := true
	select {
	case r = <-ch:
	case <-pctx.Done():
		select {
		case r = <-ch: // it returned at the deadline
		default:
			returned = false
			r = probe.Result{Target: j.Target, Probe: j.Kind, Err: probe.Errorf(probe.ReasonTimeout, "%s: no answer within %v", j.Kind, j.Timeout)}
		}
	}
	cancel()
	<-s.sem
	if returned {
		s.done(j)
	} else {
		go func() { <-ch; s.done(j) }()
	}
	if ctx.Err() != nil {
		return // shutting down: a cancelled probe measured nothing
	}
	s.finish(ctx, &r, j, j.Kind, start)
	s.emit(ctx, r)
}

// runBatch runs one batch prober over jobs due together.
func (s *Scheduler) runBatch(ctx context.Context, kind string, jobs []*Job) {
	defer s.wg.Done()
	if !s.acquire(ctx) {
		s.done(jobs...)
		return
	}
	timeout := time.Duration(0)
	targets := make([]inventory.Target, len(jobs))
	for i, j := range jobs {
		targets[i] = j.Target
		timeout = max(timeout, j.Timeout)
	}
	start := s.clock.Now()
	pctx, cancel := clockwork.WithTimeout(ctx, s.clock, timeout)
	ch := make(chan []probe.Result, 1)
	go func() { ch <- safeBatch(pctx, s.opts.Batch[kind], targets) }()
	var results []probe.Result
	returned := true
	select {
	case results = <-ch:
	case <-pctx.Done():
		select {
		case results = <-ch:
		default:
			returned = false
		}
	}
	cancel()
	<-s.sem
	if returned {
		s.done(jobs...)
	} else {
		go func() { <-ch; s.done(jobs...) }()
	}
	if ctx.Err() != nil {
		return
	}
	for i, j := range jobs {
		var r probe.Result
		if i < len(results) {
			r = results[i]
		} else {
			r = probe.Result{Err: probe.Errorf(probe.ReasonTimeout, "%s: no answer within %v", kind, timeout)}
		}
		s.finish(ctx, &r, j, kind, start)
		s.emit(ctx, r)
	}
}

// finish fills what the scheduler knows and logs up/down transitions.
func (s *Scheduler) finish(_ context.Context, r *probe.Result, j *Job, kind string, start time.Time) {
	t := j.Target
	r.Target, r.Probe, r.Brief = t, kind, j.Brief
	if r.Start.IsZero() {
		r.Start = start
	}
	if r.Duration == 0 {
		r.Duration = s.clock.Since(start)
	}
	key := t.Name + "|" + kind
	up := r.Err == nil
	s.mu.Lock()
	was, seen := s.lastUp[key]
	s.lastUp[key] = up
	s.mu.Unlock()
	switch {
	case !up && (!seen || was):
		s.log.Warn("设备无应答 / probe failed", "device", t.Name, "probe", kind, "reason", probe.Reason(r.Err), "error", r.Err)
	case up && seen && !was:
		s.log.Info("设备恢复 / probe recovered", "device", t.Name, "probe", kind)
	}
}

func (s *Scheduler) emit(ctx context.Context, r probe.Result) {
	select {
	case s.out <- r:
	case <-ctx.Done():
	}
}

// drain hands results to the sinks in batches until out is closed.
func (s *Scheduler) drain(ctx context.Context) {
	for r := range s.out {
		batch := []probe.Result{r}
	more:
		for len(batch) < 1024 {
			select {
			case r, ok := <-s.out:
				if !ok {
					break more
				}
				batch = append(batch, r)
			default:
				break more
			}
		}
		for _, sink := range s.opts.Sinks {
			if err := sink.Write(context.WithoutCancel(ctx), batch); err != nil {
				s.log.Error("probe results not stored", "sink", fmt.Sprintf("%T", sink), "results", len(batch), "error", err)
			}
		}
	}
}

// safeProbe runs a prober, turning a panic into an error result.
func safeProbe(ctx context.Context, p probe.Prober, t inventory.Target, kind string) (r probe.Result) {
	defer func() {
		if v := recover(); v != nil {
			r = probe.Result{Target: t, Probe: kind, Err: fmt.Errorf("%s probe panicked: %v", kind, v)}
		}
	}()
	return p.Probe(ctx, t)
}

func safeBatch(ctx context.Context, p BatchProber, ts []inventory.Target) (r []probe.Result) {
	defer func() {
		if v := recover(); v != nil {
			r = nil
		}
	}()
	return p.ProbeAll(ctx, ts)
}

// jobHeap orders jobs by next start.
type jobHeap []*Job

func (h jobHeap) Len() int           { return len(h) }
func (h jobHeap) Less(i, j int) bool { return h[i].next.Before(h[j].next) }
func (h jobHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *jobHeap) Push(x any)        { j := x.(*Job); j.index = len(*h); *h = append(*h, j) }
func (h *jobHeap) Pop() any {
	old := *h
	j := old[len(old)-1]
	*h = old[:len(old)-1]
	return j
}
