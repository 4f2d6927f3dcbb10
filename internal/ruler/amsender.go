package ruler

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roomwatch/roomwatch/internal/alert"
)

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// AlertmanagerOptions configure an AlertmanagerSender.
type AlertmanagerOptions struct {
	// URLs are Alertmanager base addresses (http://am:9093); alerts go to
	// <url>/api/v2/alerts on every one of them, as Prometheus does for an HA pair.
	URLs []string
	// QueueCapacity bounds alerts waiting to be sent; the oldest are dropped
	// beyond it. 10000 when zero.
	QueueCapacity int
	// Timeout of one POST; 10s when zero.
	Timeout    time.Duration
	Client     *http.Client
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// AlertmanagerSender posts alerts to external Alertmanagers (API v2) from a
// bounded queue, in batches.
type AlertmanagerSender struct {
	opts AlertmanagerOptions

	mu    sync.Mutex
	queue []alert.Alert
	more  chan struct{}

	queueLen prometheus.GaugeFunc
	dropped  prometheus.Counter
	sent     *prometheus.CounterVec
	errs     *prometheus.CounterVec
}

// NewAlertmanagerSender returns a sender; Run delivers.
func NewAlertmanagerSender(opts AlertmanagerOptions) (*AlertmanagerSender, error) {
	for _, u := range opts.URLs {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return nil, fmt.Errorf("alertmanager url %q: want http(s)://host:port", u)
		}
	}
	if opts.QueueCapacity <= 0 {
		opts.QueueCapacity = 10000
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &AlertmanagerSender{opts: opts, more: make(chan struct{}, 1)}
	s.queueLen = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "roomwatch_alertmanager_queue_length",
		Help: "Alerts waiting to be sent to external Alertmanagers.",
	}, func() float64 { s.mu.Lock(); defer s.mu.Unlock(); return float64(len(s.queue)) })
	s.dropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "roomwatch_alertmanager_alerts_dropped_total",
		Help: "Alerts dropped because the queue to external Alertmanagers was full.",
	})
	s.sent = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roomwatch_alertmanager_alerts_sent_total",
		Help: "Alerts delivered to an external Alertmanager.",
	}, []string{"alertmanager"})
	s.errs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roomwatch_alertmanager_errors_total",
		Help: "Failed POSTs to an external Alertmanager.",
	}, []string{"alertmanager"})
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(s.queueLen, s.dropped, s.sent, s.errs)
	}
	return s, nil
}

// Enqueue adds alerts to the queue without blocking.
func (s *AlertmanagerSender) Enqueue(as []alert.Alert) {
	s.mu.Lock()
	s.queue = append(s.queue, as...)
	if over := len(s.queue) - s.opts.QueueCapacity; over > 0 {
		s.queue = s.queue[over:]
		s.dropped.Add(float64(over))
	}
	s.mu.Unlock()
	select {
	case s.more <- struct{}{}:
	default:
	}
}

// Run sends queued alerts until ctx ends, then makes one last attempt to
// flush what is queued. A batch an Alertmanager refuses is dropped (and
// counted): firing alerts are resent every resend delay anyway.
func (s *AlertmanagerSender) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			flush, cancel := context.WithTimeout(context.Background(), s.opts.Timeout)
			s.sendQueued(flush)
			cancel()
			return
		case <-s.more:
			if ctx.Err() == nil {
				s.sendQueued(ctx)
			}
		}
	}
}

const maxBatch = 256

func (s *AlertmanagerSender) sendQueued(ctx context.Context) {
	for {
		s.mu.Lock()
		n := min(len(s.queue), maxBatch)
		batch := append([]alert.Alert(nil), s.queue[:n]...)
		s.queue = s.queue[n:]
		s.mu.Unlock()
		if n == 0 {
			return
		}
		body, err := json.Marshal(toAPIv2(batch))
		if err != nil {
			s.opts.Logger.Error("encode alerts", "err", err)
			return
		}
		var wg sync.WaitGroup
		for _, u := range s.opts.URLs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.post(ctx, u, body); err != nil {
					s.errs.WithLabelValues(u).Inc()
					s.opts.Logger.Warn("send alerts to alertmanager", "url", u, "count", n, "err", err)
					return
				}
				s.sent.WithLabelValues(u).Add(float64(n))
			}()
		}
		wg.Wait()
	}
}

func (s *AlertmanagerSender) post(ctx context.Context, base string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/api/v2/alerts", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.opts.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

// apiAlert is Alertmanager's API v2 postable alert.
type apiAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt,omitzero"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

func toAPIv2(as []alert.Alert) []apiAlert {
	out := make([]apiAlert, len(as))
	for i, a := range as {
		out[i] = apiAlert{Labels: a.Labels, Annotations: a.Annotations, StartsAt: a.StartsAt, EndsAt: a.EndsAt, GeneratorURL: a.GeneratorURL}
	}
	return out
}
