package remotewrite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/golang/snappy"
	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"
	"github.com/prometheus/prometheus/storage"
)

// Sample is one committed float sample forwarded onward.
type Sample struct {
	Labels labels.Labels
	T      int64 // Unix ms
	V      float64
}

// Sink takes committed samples. Enqueue must not block: a full sink drops
// and counts.
type Sink interface {
	Enqueue(samples []Sample)
}

// Tee is a storage.Appendable that appends to Primary and, after each
// successful Commit, hands the float samples it took to every Sink. Histograms,
// exemplars and metadata go to Primary only.
type Tee struct {
	Primary storage.Appendable
	Sinks   []Sink
}

// Appender implements storage.Appendable.
func (t *Tee) Appender(ctx context.Context) storage.Appender {
	return &teeAppender{Appender: t.Primary.Appender(ctx), sinks: t.Sinks}
}

type teeAppender struct {
	storage.Appender
	sinks []Sink
	buf   []Sample
}

func (a *teeAppender) Append(ref storage.SeriesRef, l labels.Labels, t int64, v float64) (storage.SeriesRef, error) {
	ref, err := a.Appender.Append(ref, l, t, v)
	if err == nil {
		a.buf = append(a.buf, Sample{Labels: l, T: t, V: v})
	}
	return ref, err
}

func (a *teeAppender) Commit() error {
	if err := a.Appender.Commit(); err != nil {
		return err
	}
	if len(a.buf) > 0 {
		for _, s := range a.sinks {
			s.Enqueue(a.buf)
		}
	}
	a.buf = nil
	return nil
}

func (a *teeAppender) Rollback() error {
	a.buf = nil
	return a.Appender.Rollback()
}

// SenderOptions configures NewSender.
type SenderOptions struct {
	// URL of the remote-write receiver, e.g. http://vm:8428/api/v1/write (required).
	URL string
	// Name labels this sender's metrics (default: the URL's host).
	Name string
	// Capacity bounds the queued samples; beyond it samples are dropped and
	// counted (default 100000).
	Capacity int
	// BatchSize is the most samples per request (default 2000).
	BatchSize int
	// FlushInterval sends a partial batch after this long (default 5s).
	FlushInterval time.Duration
	// MinBackoff and MaxBackoff bound the retry delay (defaults 500ms, 30s).
	MinBackoff, MaxBackoff time.Duration
	// Timeout bounds one request (default 30s).
	Timeout time.Duration
	// Drain is how long Run may spend at shutdown sending what is still
	// queued (0: what is queued at shutdown is dropped).
	Drain time.Duration
	// Headers are added to every request (e.g. Authorization).
	Headers map[string]string
	// Client defaults to a plain http.Client.
	Client *http.Client
	// Clock drives flushes and backoff (default: real clock).
	Clock clockwork.Clock
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Registerer receives the sender's metrics; nil registers nothing.
	Registerer prometheus.Registerer
}

// Sender forwards samples to another remote-write receiver. It is a Sink: feed
// it with a Tee and run it with Run.
type Sender struct {
	opts SenderOptions
	ch   chan Sample

	sent     prometheus.Counter
	dropped  *prometheus.CounterVec
	failures prometheus.Counter
	queue    prometheus.GaugeFunc
}

// NewSender checks opts and returns a Sender.
func NewSender(opts SenderOptions) (*Sender, error) {
	if opts.URL == "" {
		return nil, errors.New("remotewrite: sender URL is required")
	}
	if opts.Name == "" {
		opts.Name = opts.URL
		if req, err := http.NewRequest(http.MethodPost, opts.URL, nil); err == nil {
			opts.Name = req.URL.Host
		}
	}
	if opts.Capacity <= 0 {
		opts.Capacity = 100000
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 2000
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 5 * time.Second
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 500 * time.Millisecond
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(30*time.Second, opts.MinBackoff)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Sender{opts: opts, ch: make(chan Sample, opts.Capacity)}
	cl := prometheus.Labels{"remote": opts.Name}
	s.sent = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "roomwatch_remote_write_sent_samples_total", Help: "Samples forwarded to a remote-write receiver.", ConstLabels: cl,
	})
	s.dropped = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roomwatch_remote_write_dropped_samples_total", Help: "Samples not forwarded: queue_full (ingest outran the remote) or rejected (4xx).", ConstLabels: cl,
	}, []string{"reason"})
	s.failures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "roomwatch_remote_write_send_failures_total", Help: "Failed attempts to forward a batch (retried).", ConstLabels: cl,
	})
	s.queue = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "roomwatch_remote_write_queue_samples", Help: "Samples waiting to be forwarded.", ConstLabels: cl,
	}, func() float64 { return float64(len(s.ch)) })
	s.dropped.WithLabelValues("queue_full")
	s.dropped.WithLabelValues("rejected")
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(s.sent, s.dropped, s.failures, s.queue)
	}
	return s, nil
}

// Enqueue implements Sink without blocking.
func (s *Sender) Enqueue(samples []Sample) {
	if n := Offer(s.ch, samples); n > 0 {
		s.dropped.WithLabelValues("queue_full").Add(float64(n))
	}
}

// Offer puts samples on ch without blocking and returns how many did not fit,
// so that outbound queues never hold up ingest.
func Offer(ch chan<- Sample, samples []Sample) (dropped int) {
	for _, x := range samples {
		select {
		case ch <- x:
		default:
			dropped++
		}
	}
	return dropped
}

// Run sends queued samples in batches until ctx ends.
func (s *Sender) Run(ctx context.Context) error {
	return RunBatches(ctx, s.ch, BatchOptions{
		Size: s.opts.BatchSize, Flush: s.opts.FlushInterval, Clock: s.opts.Clock,
		MinBackoff: s.opts.MinBackoff, MaxBackoff: s.opts.MaxBackoff, Drain: s.opts.Drain,
	}, s.send, func(batch []Sample, err error, retry bool) {
		if retry {
			s.failures.Inc()
			s.opts.Logger.Warn("remote write: will retry", "remote", s.opts.Name, "samples", len(batch), "err", err)
			return
		}
		if err != nil {
			s.dropped.WithLabelValues("rejected").Add(float64(len(batch)))
			s.opts.Logger.Error("remote write: batch rejected, dropped", "remote", s.opts.Name, "samples", len(batch), "err", err)
			return
		}
		s.sent.Add(float64(len(batch)))
	})
}

// send posts one batch; the bool reports whether a failure is worth retrying.
func (s *Sender) send(ctx context.Context, batch []Sample) (bool, error) {
	req := prompb.WriteRequest{Timeseries: make([]prompb.TimeSeries, 0, len(batch))}
	for _, x := range batch {
		req.Timeseries = append(req.Timeseries, prompb.TimeSeries{
			Labels:  prompb.FromLabels(x.Labels, nil),
			Samples: []prompb.Sample{{Timestamp: x.T, Value: x.V}},
		})
	}
	raw, err := req.Marshal()
	if err != nil {
		return false, fmt.Errorf("marshal: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, s.opts.URL, bytes.NewReader(snappy.Encode(nil, raw)))
	if err != nil {
		return false, err
	}
	hr.Header.Set("Content-Type", "application/x-protobuf")
	hr.Header.Set("Content-Encoding", "snappy")
	hr.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	hr.Header.Set("User-Agent", "roomwatch-collector")
	for k, v := range s.opts.Headers {
		hr.Header.Set(k, v)
	}
	resp, err := s.opts.Client.Do(hr)
	if err != nil {
		return true, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch {
	case resp.StatusCode/100 == 2:
		return false, nil
	case RetryableStatus(resp.StatusCode):
		return true, fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(msg))
	default:
		return false, fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(msg))
	}
}

// BatchOptions configures RunBatches.
type BatchOptions struct {
	Size                   int             // most items per batch
	Flush                  time.Duration   // longest wait before a partial batch is sent
	Clock                  clockwork.Clock // drives Flush and backoff
	MinBackoff, MaxBackoff time.Duration   // retry delay bounds
	// Drain, when positive, is how long RunBatches may spend at shutdown
	// sending what is still queued (one attempt per batch, no retries).
	Drain time.Duration
}

// RunBatches collects items from ch into batches of up to size, flushed at
// least every flush, and sends each with send, retrying with backoff while
// send says so. done reports each attempt's outcome. When ctx ends and
// o.Drain is positive, the queued items are sent once more within o.Drain.
func RunBatches[T any](ctx context.Context, ch <-chan T, o BatchOptions,
	send func(context.Context, []T) (retry bool, err error), done func(batch []T, err error, retry bool)) error {
	batch := make([]T, 0, o.Size)
	ticker := o.Clock.NewTicker(o.Flush)
	defer ticker.Stop()
	defer func() { drain(ch, batch, o, send, done) }()
	flush := func() bool {
		backoff := o.MinBackoff
		for {
			retry, err := send(ctx, batch)
			// The batch slice is reused: send must not keep it.
			if err != nil && ctx.Err() != nil {
				return false
			}
			done(batch, err, retry && err != nil)
			if err == nil || !retry {
				batch = batch[:0]
				return true
			}
			t := o.Clock.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return false
			case <-t.Chan():
			}
			backoff = min(2*backoff, o.MaxBackoff)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case x := <-ch:
			batch = append(batch, x)
			if len(batch) >= o.Size && !flush() {
				return nil
			}
		case <-ticker.Chan():
			if len(batch) > 0 && !flush() {
				return nil
			}
		}
	}
}

// drain sends batch and what is queued on ch, once each, within o.Drain.
func drain[T any](ch <-chan T, batch []T, o BatchOptions,
	send func(context.Context, []T) (bool, error), done func([]T, error, bool)) {
	if o.Drain <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.Drain)
	defer cancel()
	for ctx.Err() == nil {
		empty := false
		for len(batch) < o.Size && !empty {
			select {
			case x := <-ch:
				batch = append(batch, x)
			default:
				empty = true
			}
		}
		if len(batch) == 0 {
			return
		}
		_, err := send(ctx, batch)
		done(batch, err, false)
		batch = batch[:0]
		if empty {
			return
		}
	}
}

// RetryableStatus reports whether an HTTP status is worth retrying.
func RetryableStatus(code int) bool {
	return code/100 == 5 || code == http.StatusTooManyRequests
}
