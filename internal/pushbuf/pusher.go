package pushbuf

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang/snappy"
	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/roomwatch/roomwatch/internal/labelset"
)

// AgentHeader names the agent on every push (remotewrite.AgentHeader).
const AgentHeader = "X-Roomwatch-Agent"

// RejectedHeader is the collector's list of refused samples on a 400
// (remotewrite.RejectedHeader): comma-separated reason=count pairs.
const RejectedHeader = "X-Roomwatch-Rejected"

// reasonFuture is the collector's reason for samples stamped too far past its
// clock (store.ReasonTooFarInFuture): this agent's clock is ahead.
const reasonFuture = "too_far_in_future"

// DefaultFutureHold is how long a batch the collector refuses as stamped in
// its future is kept and retried before it is dropped.
const DefaultFutureHold = time.Hour

// AgentInfo is the JSON body of POST /api/v1/agents/register, field for field
// registry.Info (TestAgentInfoMatchesRegistry keeps them in step). It is
// declared here so that the agent does not link the collector's registry and,
// through it, the Prometheus storage packages.
type AgentInfo struct {
	Hostname string   `json:"hostname"`
	IPs      []string `json:"ips,omitempty"`
	OS       string   `json:"os,omitempty"`
	Platform string   `json:"platform,omitempty"`
	Kernel   string   `json:"kernel,omitempty"`
	Site     string   `json:"site,omitempty"`
	Version  string   `json:"version,omitempty"`
}

// PusherOptions configures NewPusher.
type PusherOptions struct {
	// Gatherer is gathered every Interval (required).
	Gatherer prometheus.Gatherer
	// Buffer holds gathered records until the collector acknowledges them (required).
	Buffer *Buffer
	// URL is the collector's remote-write endpoint, e.g.
	// http://collector:9090/api/v1/write (required).
	URL string
	// RegisterURL, when set, receives Agent as JSON at start (retried until
	// accepted), e.g. http://collector:9090/api/v1/agents/register.
	RegisterURL string
	// RegisterInterval, when positive, repeats the registration that often
	// after it was accepted (a collector that lost its registry relearns the
	// agent's description).
	RegisterInterval time.Duration
	// Agent describes this agent; Agent.Hostname names it on every push. When
	// AgentFunc is set it is called before each registration instead (host
	// facts such as IPs change).
	Agent     AgentInfo
	AgentFunc func(context.Context) AgentInfo
	// ExternalLabels are added to every series that lacks them.
	ExternalLabels map[string]string
	// TargetLabels are set on every series over the exposed ones; a clashing
	// exposed label is kept as exported_<name> (see ToWriteRequest). The
	// agent's identity (device, class, instance, job) goes here.
	TargetLabels map[string]string
	// SequenceMetric, when set, names a gauge added to every gathered record
	// holding that record's buffer sequence number (1, 2, 3, … across
	// restarts): in the store, a gap or a repeat shows a lost or doubled push.
	SequenceMetric string
	// Interval between gathers (default 15s).
	Interval time.Duration
	// BatchRecords and BatchBytes bound one request (defaults 50 records, 4 MiB
	// uncompressed).
	BatchRecords, BatchBytes int
	// MinBackoff and MaxBackoff bound the retry delay (defaults 1s, 1m).
	MinBackoff, MaxBackoff time.Duration
	// Timeout bounds one request (default 30s).
	Timeout time.Duration
	// FutureHold is how long a batch the collector refuses as stamped too far
	// in its future (this agent's clock runs ahead) is kept and retried, in
	// case the clocks agree again, before it is dropped and counted
	// (default DefaultFutureHold). Later records wait behind it meanwhile.
	FutureHold time.Duration
	// Client sends the requests; nil means a new ConnClient (one kept-alive
	// HTTP/1.1 connection, no http.Transport). An *http.Client also fits.
	Client Doer
	// Clock drives the interval and backoff (default: real clock).
	Clock clockwork.Clock
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Registerer receives the pusher's metrics; nil registers nothing.
	Registerer prometheus.Registerer
}

// Pusher gathers metrics into the Buffer and sends them to the collector in
// order, at least once: records are acknowledged in the buffer only after a
// 2xx answer, retried with backoff on 5xx, 429 and network errors, and on a
// 400 that refuses samples as stamped in the collector's future (for up to
// FutureHold), and dropped (logged and counted by reason) on any other 4xx.
type Pusher struct {
	opts   PusherOptions
	wake   chan struct{}
	extra  []Label
	target []Label

	sentRecords    prometheus.Counter
	sentBytes      prometheus.Counter
	droppedRecords *prometheus.CounterVec
	failures       *prometheus.CounterVec
	gatherErrors   prometheus.Counter
	registrations  prometheus.Counter
}

// NewPusher checks opts and returns a Pusher; start it with Run.
func NewPusher(opts PusherOptions) (*Pusher, error) {
	if opts.Gatherer == nil || opts.Buffer == nil || opts.URL == "" {
		return nil, errors.New("pushbuf: Gatherer, Buffer and URL are required")
	}
	if opts.Interval <= 0 {
		opts.Interval = 15 * time.Second
	}
	if opts.BatchRecords <= 0 {
		opts.BatchRecords = 50
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = 4 << 20
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = time.Second
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(time.Minute, opts.MinBackoff)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.FutureHold <= 0 {
		opts.FutureHold = DefaultFutureHold
	}
	if opts.Client == nil {
		opts.Client = &ConnClient{}
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	p := &Pusher{
		opts: opts,
		wake: make(chan struct{}, 1),
		sentRecords: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roomwatch_push_sent_records_total", Help: "Buffered records the collector acknowledged.",
		}),
		sentBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roomwatch_push_sent_bytes_total", Help: "Compressed bytes of acknowledged pushes.",
		}),
		droppedRecords: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roomwatch_push_rejected_records_total",
			Help: "Records dropped because the collector refused them (4xx), by the collector's reason (http_<code> when it gave none).",
		}, []string{"reason"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roomwatch_push_failures_total", Help: "Failed push attempts that will be retried, by cause.",
		}, []string{"cause"}),
		gatherErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roomwatch_push_gather_errors_total", Help: "Gathers that returned an error (what was gathered is still pushed).",
		}),
		registrations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roomwatch_push_registrations_total", Help: "Registrations the collector accepted.",
		}),
	}
	for k, v := range opts.ExternalLabels {
		p.extra = append(p.extra, Label{Name: k, Value: v})
	}
	slices.SortFunc(p.extra, func(a, b Label) int { return strings.Compare(a.Name, b.Name) })
	for k, v := range opts.TargetLabels {
		p.target = append(p.target, Label{Name: k, Value: v})
	}
	slices.SortFunc(p.target, func(a, b Label) int { return strings.Compare(a.Name, b.Name) })
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(p.sentRecords, p.sentBytes, p.droppedRecords, p.failures, p.gatherErrors, p.registrations)
	}
	return p, nil
}

// Run registers the agent, then gathers every Interval and sends buffered
// records until ctx ends. It returns nil on cancellation.
func (p *Pusher) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if p.opts.RegisterURL != "" {
		wg.Go(func() { p.register(ctx) })
	}
	wg.Go(func() { p.sendLoop(ctx) })

	t := p.opts.Clock.NewTicker(p.opts.Interval)
	defer t.Stop()
	for {
		if err := p.Collect(ctx); err != nil {
			p.opts.Logger.Error("push: buffering gathered metrics", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.Chan():
		}
	}
}

// Collect gathers once, stamps the samples with the clock's time and appends
// them to the buffer as one record.
func (p *Pusher) Collect(ctx context.Context) error {
	mfs, err := p.opts.Gatherer.Gather()
	if err != nil {
		p.gatherErrors.Inc()
		p.opts.Logger.Warn("push: gather", "err", err)
		if len(mfs) == 0 {
			return nil
		}
	}
	now := p.opts.Clock.Now().UnixMilli()
	req := ToWriteRequest(mfs, now, p.extra, p.target)
	if len(req.Timeseries) == 0 {
		return nil
	}
	if p.opts.SequenceMetric != "" {
		// Collect is the buffer's only writer, so the record appended below
		// gets the sequence number after LastSeq.
		lbls := labelset.SetTarget([]Label{{Name: "__name__", Value: p.opts.SequenceMetric}}, p.target)
		for _, e := range p.extra {
			if !slices.ContainsFunc(lbls, func(l Label) bool { return l.Name == e.Name }) {
				lbls = append(lbls, e)
			}
		}
		slices.SortFunc(lbls, func(a, b Label) int { return strings.Compare(a.Name, b.Name) })
		req.Timeseries = append(req.Timeseries, TimeSeries{Labels: lbls,
			Samples: []Sample{{Value: float64(p.opts.Buffer.LastSeq() + 1), Timestamp: now}}})
	}
	data, err := req.Marshal()
	if err != nil {
		return fmt.Errorf("marshal: %w", err)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if _, err := p.opts.Buffer.Append(data); err != nil {
		return err
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return nil
}

// sendLoop sends batches from the buffer cursor in order.
func (p *Pusher) sendLoop(ctx context.Context) {
	backoff := p.opts.MinBackoff
	// heldSince is when the collector first refused the batch starting at
	// heldFirst as stamped in its future.
	var (
		heldFirst uint64
		heldSince time.Time
	)
	for ctx.Err() == nil {
		recs, err := p.opts.Buffer.Read(p.opts.Buffer.Acked(), p.opts.BatchRecords, p.opts.BatchBytes)
		if err != nil {
			p.opts.Logger.Error("push: reading buffer", "err", err)
		}
		if len(recs) == 0 {
			if err != nil && !p.sleep(ctx, backoff) {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-p.wake:
			}
			continue
		}
		// Protobuf messages concatenate: the records' repeated timeseries
		// fields join into one WriteRequest, in order.
		var raw []byte
		for _, r := range recs {
			raw = append(raw, r.Data...)
		}
		body := snappy.Encode(nil, raw)
		last := recs[len(recs)-1].Seq
		ans, err := p.send(ctx, body)
		code := ans.code
		future := err == nil && code == http.StatusBadRequest && ans.rejected[reasonFuture] > 0
		if future && heldFirst != recs[0].Seq {
			heldFirst, heldSince = recs[0].Seq, p.opts.Clock.Now()
		}
		switch {
		case err == nil && code/100 == 2:
			p.sentRecords.Add(float64(len(recs)))
			p.sentBytes.Add(float64(len(body)))
			backoff = p.opts.MinBackoff
		case future && p.opts.Clock.Since(heldSince) < p.opts.FutureHold:
			// The samples are good but this agent's clock is ahead of the
			// collector's: keep them, and retry until the clocks agree or
			// FutureHold has passed. What the collector did take is a harmless
			// duplicate on the retry.
			p.failures.WithLabelValues(reasonFuture).Inc()
			p.opts.Logger.Error("push: the collector refuses samples as stamped in its future: this agent's clock is ahead; keeping them and retrying",
				"agent_clock", p.opts.Clock.Now().UTC().Format(time.RFC3339), "collector_clock", ans.date,
				"refused", ans.header, "held_for", p.opts.Clock.Since(heldSince).Round(time.Second).String(),
				"drop_after", p.opts.FutureHold.String(), "answer", ans.msg, "in", backoff)
			if !p.sleep(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, p.opts.MaxBackoff)
			continue
		case err == nil && code/100 == 4 && code != http.StatusTooManyRequests && !authRefused(code):
			reason := ans.reason()
			p.droppedRecords.WithLabelValues(reason).Add(float64(len(recs)))
			p.opts.Logger.Error("push: collector refused records; dropping them", "code", code, "reason", reason,
				"refused", ans.header, "first", recs[0].Seq, "last", last, "answer", ans.msg)
			backoff = p.opts.MinBackoff
		default:
			cause := "network"
			if err == nil {
				cause = strconv.Itoa(code)
			} else if ctx.Err() != nil {
				return
			}
			p.failures.WithLabelValues(cause).Inc()
			if authRefused(code) {
				// The data is good, the credentials are not: keep it until
				// they are fixed (the buffer's max_size and max_age bound it).
				p.opts.Logger.Error("push: the collector refuses this agent's credentials (remote_write bearer_token, basic_auth or tls_config); keeping the records and retrying",
					"code", code, "answer", ans.msg, "in", backoff)
			} else {
				p.opts.Logger.Warn("push: will retry", "cause", cause, "err", err, "in", backoff)
			}
			if !p.sleep(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, p.opts.MaxBackoff)
			continue
		}
		if err := p.opts.Buffer.Ack(last); err != nil {
			p.opts.Logger.Error("push: acknowledging in buffer", "err", err)
		}
	}
}

func (p *Pusher) sleep(ctx context.Context, d time.Duration) bool {
	t := p.opts.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.Chan():
		return true
	}
}

// answer is the collector's reply to one push.
type answer struct {
	code     int
	msg      string         // the body's start, for the log
	header   string         // RejectedHeader as sent
	rejected map[string]int // RejectedHeader parsed: reason -> samples
	date     string         // the collector's Date header: its clock
}

// reason names why a 4xx was given: the collector's main rejection reason
// (the one with most samples), else http_<code>.
func (a answer) reason() string {
	best, n := "", 0
	for r, c := range a.rejected {
		if c > n || (c == n && r < best) {
			best, n = r, c
		}
	}
	if best == "" {
		return "http_" + strconv.Itoa(a.code)
	}
	return best
}

// parseRejected parses "reason=count,reason=count"; malformed pairs are skipped.
func parseRejected(h string) map[string]int {
	out := map[string]int{}
	for pair := range strings.SplitSeq(h, ",") {
		name, count, ok := strings.Cut(strings.TrimSpace(pair), "=")
		n, err := strconv.Atoi(count)
		if !ok || err != nil || name == "" || n < 0 {
			continue
		}
		out[name] += n
	}
	return out
}

// authRefused reports an answer that refuses the credentials, not the data.
func authRefused(code int) bool {
	return code == http.StatusUnauthorized || code == http.StatusForbidden
}

func (p *Pusher) send(ctx context.Context, body []byte) (answer, error) {
	ctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.opts.URL, bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	req.Header.Set("User-Agent", "roomwatch-agent/"+p.opts.Agent.Version)
	if p.opts.Agent.Hostname != "" {
		req.Header.Set(AgentHeader, p.opts.Agent.Hostname)
	}
	resp, err := p.opts.Client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	a := answer{code: resp.StatusCode, msg: strings.TrimSpace(string(msg)), header: resp.Header.Get(RejectedHeader),
		date: resp.Header.Get("Date")}
	a.rejected = parseRejected(a.header)
	if resp.StatusCode/100 != 2 {
		p.opts.Logger.Debug("push: answer", "code", resp.StatusCode, "body", a.msg)
	}
	return a, nil
}

// register posts the agent's description until the collector accepts it or
// refuses it as bad (4xx), with backoff; then again every RegisterInterval.
func (p *Pusher) register(ctx context.Context) {
	for {
		p.registerOnce(ctx)
		if p.opts.RegisterInterval <= 0 || !p.sleep(ctx, p.opts.RegisterInterval) {
			return
		}
	}
}

func (p *Pusher) registerOnce(ctx context.Context) {
	info := p.opts.Agent
	if p.opts.AgentFunc != nil {
		info = p.opts.AgentFunc(ctx)
	}
	body, err := json.Marshal(info)
	if err != nil {
		p.opts.Logger.Error("push: registration", "err", err)
		return
	}
	backoff := p.opts.MinBackoff
	for {
		code, err := p.postJSON(ctx, body)
		switch {
		case err == nil && code/100 == 2:
			p.registrations.Inc()
			p.opts.Logger.Info("push: registered with the collector", "agent", info.Hostname)
			return
		case err == nil && code/100 == 4 && code != http.StatusTooManyRequests && !authRefused(code):
			p.opts.Logger.Error("push: collector refused the registration", "code", code)
			return
		case err == nil && authRefused(code):
			p.opts.Logger.Error("push: the collector refuses this agent's credentials for registration; retrying", "code", code, "in", backoff)
		}
		if !p.sleep(ctx, backoff) {
			return
		}
		backoff = min(2*backoff, p.opts.MaxBackoff)
	}
}

func (p *Pusher) postJSON(ctx context.Context, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.opts.RegisterURL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.opts.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1024))
	return resp.StatusCode, nil
}
