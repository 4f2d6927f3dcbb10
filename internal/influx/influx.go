// Package influx forwards the collector's samples to InfluxDB (API v2, through
// influxdb-client-go): batched, retried with backoff, in bounded memory, and
// never blocking ingest — when its queue is full, points are dropped and
// counted in roomwatch_influx_points_dropped_total.
//
// A sample becomes one point: measurement = metric name, tags = the other
// labels, one field "value", timestamp in ms (the layout of Prometheus' own
// InfluxDB adapter).
package influx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api"
	influxhttp "github.com/influxdata/influxdb-client-go/v2/api/http"
	"github.com/influxdata/influxdb-client-go/v2/api/write"
	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/roomwatch/roomwatch/internal/remotewrite"
)

// Options configures New.
type Options struct {
	// URL of the InfluxDB server, e.g. http://influx:8086 (required).
	URL string
	// Token, Org and Bucket address the writes (Org and Bucket required).
	Token, Org, Bucket string
	// Capacity bounds the queued points (default 100000).
	Capacity int
	// BatchSize is the most points per write (default 5000).
	BatchSize int
	// FlushInterval writes a partial batch after this long (default 5s).
	FlushInterval time.Duration
	// MinBackoff and MaxBackoff bound the retry delay (defaults 500ms, 30s).
	MinBackoff, MaxBackoff time.Duration
	// Timeout bounds one write, in whole seconds (default 30s).
	Timeout time.Duration
	// Drain is how long Run may spend at shutdown writing what is still
	// queued (0: what is queued at shutdown is dropped).
	Drain time.Duration
	// Clock drives flushes and backoff (default: real clock).
	Clock clockwork.Clock
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Registerer receives the sink's metrics; nil registers nothing.
	Registerer prometheus.Registerer
}

// Sink is a remotewrite.Sink writing to InfluxDB. Run it with Run.
type Sink struct {
	opts   Options
	client influxdb2.Client
	writer api.WriteAPIBlocking
	ch     chan remotewrite.Sample

	written  prometheus.Counter
	dropped  *prometheus.CounterVec
	failures prometheus.Counter
}

// New checks opts and returns a Sink. Close it to release the client.
func New(opts Options) (*Sink, error) {
	if opts.URL == "" || opts.Org == "" || opts.Bucket == "" {
		return nil, errors.New("influx: URL, Org and Bucket are required")
	}
	if opts.Capacity <= 0 {
		opts.Capacity = 100000
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 5000
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
	if opts.Timeout < time.Second {
		opts.Timeout = 30 * time.Second
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	co := influxdb2.DefaultOptions().
		SetPrecision(time.Millisecond).
		SetHTTPRequestTimeout(uint(opts.Timeout / time.Second)).
		SetApplicationName("roomwatch-collector")
	client := influxdb2.NewClientWithOptions(opts.URL, opts.Token, co)
	s := &Sink{
		opts:   opts,
		client: client,
		writer: client.WriteAPIBlocking(opts.Org, opts.Bucket),
		ch:     make(chan remotewrite.Sample, opts.Capacity),
		written: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roomwatch_influx_points_written_total", Help: "Points written to InfluxDB.",
		}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roomwatch_influx_points_dropped_total", Help: "Points not written to InfluxDB: queue_full or rejected (4xx).",
		}, []string{"reason"}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roomwatch_influx_write_failures_total", Help: "Failed InfluxDB writes (retried).",
		}),
	}
	s.dropped.WithLabelValues("queue_full")
	s.dropped.WithLabelValues("rejected")
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(s.written, s.dropped, s.failures,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "roomwatch_influx_queue_points", Help: "Points waiting to be written to InfluxDB.",
			}, func() float64 { return float64(len(s.ch)) }))
	}
	return s, nil
}

// Enqueue implements remotewrite.Sink without blocking.
func (s *Sink) Enqueue(samples []remotewrite.Sample) {
	if n := remotewrite.Offer(s.ch, samples); n > 0 {
		s.dropped.WithLabelValues("queue_full").Add(float64(n))
	}
}

// Run writes queued points until ctx ends.
func (s *Sink) Run(ctx context.Context) error {
	return remotewrite.RunBatches(ctx, s.ch, remotewrite.BatchOptions{
		Size: s.opts.BatchSize, Flush: s.opts.FlushInterval, Clock: s.opts.Clock,
		MinBackoff: s.opts.MinBackoff, MaxBackoff: s.opts.MaxBackoff, Drain: s.opts.Drain,
	}, s.write, func(batch []remotewrite.Sample, err error, retry bool) {
		switch {
		case retry:
			s.failures.Inc()
			s.opts.Logger.Warn("influx: will retry", "points", len(batch), "err", err)
		case err != nil:
			s.dropped.WithLabelValues("rejected").Add(float64(len(batch)))
			s.opts.Logger.Error("influx: batch rejected, dropped", "points", len(batch), "err", err)
		default:
			s.written.Add(float64(len(batch)))
		}
	})
}

// Close releases the client's connections.
func (s *Sink) Close() { s.client.Close() }

func (s *Sink) write(ctx context.Context, batch []remotewrite.Sample) (bool, error) {
	pts := make([]*write.Point, 0, len(batch))
	for _, x := range batch {
		pts = append(pts, Point(x))
	}
	err := s.writer.WritePoint(ctx, pts...)
	if err == nil {
		return false, nil
	}
	var he *influxhttp.Error
	if errors.As(err, &he) && he.StatusCode != 0 {
		return remotewrite.RetryableStatus(he.StatusCode), fmt.Errorf("influx write: %w", err)
	}
	return true, fmt.Errorf("influx write: %w", err) // network
}

// Point converts a sample: measurement = metric name, tags = other labels,
// field value.
func Point(x remotewrite.Sample) *write.Point {
	p := influxdb2.NewPointWithMeasurement(x.Labels.Get(model.MetricNameLabel))
	x.Labels.Range(func(l labels.Label) {
		if l.Name != model.MetricNameLabel {
			p.AddTag(l.Name, l.Value)
		}
	})
	return p.AddField("value", x.V).SetTime(time.UnixMilli(x.T))
}
