// Package remotewrite receives and sends the Prometheus remote-write protocol
// (version 1: a snappy-compressed protobuf prompb.WriteRequest).
//
// The receiver (NewHandler) serves POST /api/v1/write for roomwatch agents and for
// any Prometheus or vmagent, appending into a storage.Appendable (the embedded
// TSDB). Replays are harmless: a sample the store already holds (an identical
// duplicate, or an older sample of a series that has moved on) is skipped and
// counted, never failing the request, so an at-least-once sender never loops.
//
// The sender side (Tee and Sender) forwards what the collector appends to its
// store onward to another remote-write receiver, through a bounded queue that
// drops and counts rather than block ingest.
package remotewrite

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/golang/snappy"
	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"
	"github.com/prometheus/prometheus/storage"

	"github.com/roomwatch/roomwatch/internal/store"
)

// DefaultMaxDecodedBytes bounds a decompressed request body (32 MiB).
const DefaultMaxDecodedBytes = 32 << 20

// DefaultMaxSeriesPerWrite bounds the series of one request
// (storage.max_series_per_write). A Prometheus sender's batches hold at most
// a few thousand (queue_config.max_samples_per_send 2000), a roomwatch
// agent's one scrape.
const DefaultMaxSeriesPerWrite = 50_000

// AgentHeader carries the pushing agent's identity (its hostname). The
// receiver reports every accepted push with it to HandlerOptions.OnPush, which
// is how the registry learns an agent's last-seen time.
const AgentHeader = "X-Roomwatch-Agent"

// Rejection reasons, the values of the reason label on
// roomwatch_remote_write_rejected_samples_total.
const (
	ReasonOutOfOrder    = "out_of_order"   // older than the series' newest sample: already stored on replay
	ReasonDuplicate     = "duplicate"      // same timestamp, different value
	ReasonOutOfBounds   = "out_of_bounds"  // older than the head block accepts
	ReasonTooOld        = "too_old"        // outside the out-of-order window
	ReasonInvalidLabels = "invalid_labels" // no metric name, bad or repeated label names
	// ReasonTooFarInFuture: stamped more than the collector's storage.max_ahead
	// (10m) past its clock; the sender's clock is probably wrong.
	ReasonTooFarInFuture = store.ReasonTooFarInFuture
	// ReasonSeriesLimit: a new series the store refused because its head
	// holds storage.max_series series; series it holds are still stored.
	ReasonSeriesLimit = store.ReasonSeriesLimit
	// ReasonTooManySeries: the request held more than
	// storage.max_series_per_write series and was refused whole.
	ReasonTooManySeries = "too_many_series"
)

// RejectedHeader is set on a 400 answer to a write some of whose samples were
// refused: comma-separated reason=count pairs (e.g.
// "too_far_in_future=3,too_old=1"), so that a sender can decide per reason
// whether to keep the batch (pushbuf keeps too_far_in_future for a while)
// without reading the message text. The samples not named were stored.
const RejectedHeader = "X-Roomwatch-Rejected"

// replayReasons are rejections of samples the store already holds (an
// at-least-once sender replaying): skipped, and the write still answered 204.
var replayReasons = map[string]bool{ReasonOutOfOrder: true, ReasonDuplicate: true}

// HandlerOptions configures NewHandler. The zero value is usable.
type HandlerOptions struct {
	// MaxDecodedBytes bounds the decompressed body; 0 means DefaultMaxDecodedBytes.
	MaxDecodedBytes int
	// MaxSeriesPerWrite refuses, whole and before anything is appended, a
	// request with more series; 0 means DefaultMaxSeriesPerWrite, negative no limit.
	MaxSeriesPerWrite int
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Registerer receives the receiver's self-metrics; nil registers nothing.
	Registerer prometheus.Registerer
	// Clock stamps OnPush calls; defaults to the real clock.
	Clock clockwork.Clock
	// OnPush, when set, is called after every accepted request that carried
	// AgentHeader, with the agent name and the receive time (Unix seconds).
	OnPush func(agent string, unixSeconds float64)
}

// Handler is the remote-write receiver. Create it with NewHandler.
type Handler struct {
	app  storage.Appendable
	opts HandlerOptions

	requests *prometheus.CounterVec
	received prometheus.Counter
	rejected *prometheus.CounterVec
	bytes    prometheus.Counter
}

// NewHandler returns the receiver appending into app.
func NewHandler(app storage.Appendable, opts HandlerOptions) *Handler {
	if opts.MaxDecodedBytes <= 0 {
		opts.MaxDecodedBytes = DefaultMaxDecodedBytes
	}
	if opts.MaxSeriesPerWrite == 0 {
		opts.MaxSeriesPerWrite = DefaultMaxSeriesPerWrite
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	h := &Handler{
		app:  app,
		opts: opts,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roomwatch_remote_write_requests_total",
			Help: "Remote-write requests received, by HTTP status code answered.",
		}, []string{"code"}),
		received: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roomwatch_remote_write_received_samples_total",
			Help: "Samples (floats and histograms) received in well-formed remote-write requests.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roomwatch_remote_write_rejected_samples_total",
			Help: "Received samples not appended, by reason (out_of_order and duplicate are mostly harmless replays).",
		}, []string{"reason"}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roomwatch_remote_write_received_bytes_total",
			Help: "Compressed remote-write body bytes received.",
		}),
	}
	for _, r := range []string{ReasonOutOfOrder, ReasonDuplicate, ReasonOutOfBounds, ReasonTooOld, ReasonInvalidLabels, ReasonTooFarInFuture, ReasonSeriesLimit, ReasonTooManySeries} {
		h.rejected.WithLabelValues(r)
	}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(h.requests, h.received, h.rejected, h.bytes)
	}
	return h
}

// requestError is an error answered with its status code and message, and
// the RejectedHeader when rejected is set.
type requestError struct {
	code     int
	err      error
	rejected string
}

func (e *requestError) Error() string { return e.err.Error() }
func (e *requestError) Unwrap() error { return e.err }

// ServeHTTP implements http.Handler: POST a v1 WriteRequest, 204 on success,
// 400 with the reason for a body that cannot be accepted.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	code, err := h.serve(r)
	h.requests.WithLabelValues(fmt.Sprint(code)).Inc()
	if err != nil {
		if code >= 500 {
			h.opts.Logger.Error("remote write failed", "remote", r.RemoteAddr, "err", err)
		} else {
			h.opts.Logger.Warn("remote write rejected", "remote", r.RemoteAddr, "code", code, "err", err)
		}
		if code == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", http.MethodPost)
		}
		if re, ok := errors.AsType[*requestError](err); ok && re.rejected != "" {
			w.Header().Set(RejectedHeader, re.rejected)
		}
		http.Error(w, err.Error(), code)
		return
	}
	w.WriteHeader(code)
}

func (h *Handler) serve(r *http.Request) (int, error) {
	if r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, fmt.Errorf("method %s not allowed: remote write takes POST", r.Method)
	}
	if err := checkHeaders(r.Header); err != nil {
		return http.StatusBadRequest, err
	}
	maxBody := snappy.MaxEncodedLen(h.opts.MaxDecodedBytes)
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(maxBody)+1))
	if err != nil {
		return http.StatusBadRequest, fmt.Errorf("reading body: %w", err)
	}
	h.bytes.Add(float64(len(body)))
	if len(body) > maxBody {
		return http.StatusBadRequest, fmt.Errorf("body exceeds %d bytes", maxBody)
	}
	req, err := Decode(body, h.opts.MaxDecodedBytes)
	if err != nil {
		return http.StatusBadRequest, err
	}
	if err := h.checkSeries(req); err != nil {
		return http.StatusRequestEntityTooLarge, err
	}
	if err := h.write(r, req); err != nil {
		if re, ok := errors.AsType[*requestError](err); ok {
			return re.code, err
		}
		if errors.Is(err, store.ErrUnavailable) {
			// A full disk: nothing of this write is acknowledged; the
			// sender keeps it and retries (Prometheus retries 5xx).
			return http.StatusServiceUnavailable, err
		}
		return http.StatusInternalServerError, err
	}
	if agent := r.Header.Get(AgentHeader); agent != "" && h.opts.OnPush != nil {
		h.opts.OnPush(agent, float64(h.opts.Clock.Now().UnixMilli())/1000)
	}
	return http.StatusNoContent, nil
}

// checkHeaders accepts a v1 request: Content-Type application/x-protobuf
// (optionally proto=prometheus.WriteRequest) or absent, Content-Encoding
// snappy or absent.
func checkHeaders(h http.Header) error {
	if ct := h.Get("Content-Type"); ct != "" {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			return fmt.Errorf("bad Content-Type %q: %w", ct, err)
		}
		if mt != "application/x-protobuf" {
			return fmt.Errorf("unsupported Content-Type %q: remote write takes application/x-protobuf", ct)
		}
		if p, ok := params["proto"]; ok && p != "prometheus.WriteRequest" {
			return fmt.Errorf("unsupported remote-write message %q: only v1 prometheus.WriteRequest is accepted", p)
		}
	}
	if ce := h.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "snappy") {
		return fmt.Errorf("unsupported Content-Encoding %q: remote write takes snappy", ce)
	}
	return nil
}

// Decode decompresses and unmarshals a v1 remote-write body. The snappy
// header's decoded length is checked against maxDecoded before anything is
// allocated.
func Decode(body []byte, maxDecoded int) (*prompb.WriteRequest, error) {
	n, err := snappy.DecodedLen(body)
	if err != nil {
		return nil, fmt.Errorf("bad snappy body: %w", err)
	}
	if n > maxDecoded {
		return nil, fmt.Errorf("decoded body of %d bytes exceeds the %d byte limit", n, maxDecoded)
	}
	raw, err := snappy.Decode(make([]byte, n), body)
	if err != nil {
		return nil, fmt.Errorf("bad snappy body: %w", err)
	}
	var req prompb.WriteRequest
	if err := req.Unmarshal(raw); err != nil {
		return nil, fmt.Errorf("bad protobuf WriteRequest: %w", err)
	}
	return &req, nil
}

// checkSeries refuses a request with more series than MaxSeriesPerWrite,
// whole: its samples are counted as too_many_series and nothing is appended.
func (h *Handler) checkSeries(req *prompb.WriteRequest) error {
	limit := h.opts.MaxSeriesPerWrite
	if limit < 0 || len(req.Timeseries) <= limit {
		return nil
	}
	n := 0
	for i := range req.Timeseries {
		n += len(req.Timeseries[i].Samples) + len(req.Timeseries[i].Histograms)
	}
	h.rejected.WithLabelValues(ReasonTooManySeries).Add(float64(n))
	return &requestError{code: http.StatusRequestEntityTooLarge, rejected: fmt.Sprintf("%s=%d", ReasonTooManySeries, n),
		err: fmt.Errorf("request holds %d series, more than storage.max_series_per_write %d: none of its %d samples were stored; send smaller batches",
			len(req.Timeseries), limit, n)}
}

// sampleReason maps an append error to a rejection reason; "" means the
// error is not a per-sample one.
func sampleReason(err error) string {
	switch {
	case errors.Is(err, store.ErrTooFarInFuture): // before ErrOutOfBounds, which it wraps
		return ReasonTooFarInFuture
	case errors.Is(err, store.ErrSeriesLimit):
		return ReasonSeriesLimit
	case errors.Is(err, storage.ErrOutOfOrderSample):
		return ReasonOutOfOrder
	case errors.Is(err, storage.ErrDuplicateSampleForTimestamp):
		return ReasonDuplicate
	case errors.Is(err, storage.ErrOutOfBounds):
		return ReasonOutOfBounds
	case errors.Is(err, storage.ErrTooOldSample):
		return ReasonTooOld
	}
	return ""
}

// write appends req in one transaction. Per-sample rejections (see the
// Reason constants) are counted and skipped, and the rest is committed.
// Replays (out_of_order, duplicate) are answered 204; any other rejection
// (invalid labels, too old, too far in the future) is answered 400 naming the
// reasons, in the message and in RejectedHeader, as Prometheus's receiver
// answers out-of-bounds samples, so that the sender knows what was not stored.
func (h *Handler) write(r *http.Request, req *prompb.WriteRequest) error {
	app := h.app.Appender(r.Context())
	committed := false
	defer func() {
		if !committed {
			_ = app.Rollback()
		}
	}()
	var (
		b        = labels.NewScratchBuilder(0)
		rejected = map[string]int{}
		firstErr = map[string]string{}
		received int
	)
	reject := func(reason string, n int, why string) {
		rejected[reason] += n
		if _, ok := firstErr[reason]; !ok {
			firstErr[reason] = why
		}
	}
	for i := range req.Timeseries {
		ts := &req.Timeseries[i]
		n := len(ts.Samples) + len(ts.Histograms)
		received += n
		ls := ts.ToLabels(&b, nil)
		if reason := invalidLabels(ls); reason != "" {
			reject(ReasonInvalidLabels, n, fmt.Sprintf("%s: %s", ls.String(), reason))
			continue
		}
		var ref storage.SeriesRef
		for _, s := range ts.Samples {
			nref, aerr := app.Append(ref, ls, s.Timestamp, s.Value)
			if aerr != nil {
				reason := sampleReason(aerr)
				if reason == "" {
					return fmt.Errorf("append %s: %w", ls.String(), aerr)
				}
				reject(reason, 1, fmt.Sprintf("%s: %v", ls.String(), aerr))
				continue
			}
			ref = nref
		}
		for _, hp := range ts.Histograms {
			var aerr error
			var nref storage.SeriesRef
			if hp.IsFloatHistogram() {
				nref, aerr = app.AppendHistogram(ref, ls, hp.Timestamp, nil, hp.ToFloatHistogram())
			} else {
				nref, aerr = app.AppendHistogram(ref, ls, hp.Timestamp, hp.ToIntHistogram(), nil)
			}
			if aerr != nil {
				reason := sampleReason(aerr)
				if reason == "" {
					return fmt.Errorf("append histogram %s: %w", ls.String(), aerr)
				}
				reject(reason, 1, fmt.Sprintf("%s: %v", ls.String(), aerr))
				continue
			}
			ref = nref
		}
	}
	committed = true
	if err := app.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	h.received.Add(float64(received))
	var (
		reasons []string
		header  []string
		parts   []string
		total   int
	)
	for reason, n := range rejected {
		h.rejected.WithLabelValues(reason).Add(float64(n))
		if !replayReasons[reason] {
			reasons = append(reasons, reason)
			total += n
		}
	}
	if len(reasons) == 0 {
		return nil
	}
	slices.Sort(reasons)
	for _, reason := range reasons {
		header = append(header, fmt.Sprintf("%s=%d", reason, rejected[reason]))
		parts = append(parts, fmt.Sprintf("%s: %d, first: %s", reason, rejected[reason], firstErr[reason]))
	}
	return &requestError{code: http.StatusBadRequest, rejected: strings.Join(header, ","),
		err: fmt.Errorf("%d of %d samples not stored (the rest were stored): %s", total, received, strings.Join(parts, "; "))}
}

// invalidLabels explains why ls cannot be stored, or returns "".
func invalidLabels(ls labels.Labels) string {
	if !ls.Has(model.MetricNameLabel) {
		return "no metric name"
	}
	if !ls.IsValid(model.UTF8Validation) {
		return "invalid label name or value"
	}
	if name, dup := ls.HasDuplicateLabelNames(); dup {
		return "repeated label " + name
	}
	return ""
}
