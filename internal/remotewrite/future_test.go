package remotewrite

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/prometheus/prompb"

	"github.com/roomwatch/roomwatch/internal/store"
)

// A sample stamped a year ahead is refused with a 400 naming the reason (in
// the message and in RejectedHeader), the rest of the write is stored, the
// head does not move, and the present still lands afterwards.
func TestHandlerRefusesFutureSamples(t *testing.T) {
	t.Parallel()
	st, err := store.Open(store.Options{Dir: t.TempDir(), OutOfOrderWindow: 25 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	ingest := store.NewIngestMetrics(nil)
	guard := store.NewFutureGuard(st, store.FutureGuardOptions{Clock: clockwork.NewFakeClockAt(now), Metrics: ingest})
	h := NewHandler(guard.Source("remote_write"), HandlerOptions{Registerer: prometheus.NewRegistry(), Logger: quiet()})
	srv := httptest.NewServer(h)
	defer srv.Close()

	ms := now.UnixMilli()
	year := now.AddDate(1, 0, 0).UnixMilli()
	tests := []struct {
		name       string
		req        *prompb.WriteRequest
		code       int
		wantHeader string
		wantMsg    string
	}{
		{"a year ahead", &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{
			series("evil", nil, point{year, 1}),
		}}, 400, "too_far_in_future=1", "1 of 1 samples not stored"},
		{"mixed", &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{
			series("ok_metric", nil, point{ms - 1000, 1}),
			series("evil", nil, point{year + 1, 1}, point{ms + int64(11*time.Minute/time.Millisecond), 1}),
		}}, 400, "too_far_in_future=2", "too_far_in_future: 2, first: {__name__=\"evil\"}: sample at "},
		{"present after", &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{
			series("ok_metric", nil, point{ms, 2}),
		}}, 204, "", ""},
		{"replay of a stored sample", &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{
			series("ok_metric", nil, point{ms, 2}),
		}}, 204, "", ""},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(string(encode(t, tc.req))))
		req.Header.Set("Content-Type", "application/x-protobuf")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b := mustRead(&http.Request{Body: resp.Body})
		resp.Body.Close()
		if resp.StatusCode != tc.code || resp.Header.Get(RejectedHeader) != tc.wantHeader || !strings.Contains(string(b), tc.wantMsg) {
			t.Errorf("%s: got %d %s=%q %q, want %d %q containing %q", tc.name, resp.StatusCode, RejectedHeader,
				resp.Header.Get(RejectedHeader), b, tc.code, tc.wantHeader, tc.wantMsg)
		}
	}
	if got := time.UnixMilli(st.DB().Head().MaxTime()); got.After(now.Add(store.DefaultMaxAhead)) {
		t.Errorf("head moved to %v", got)
	}
	if got := querySamples(t, st.DB(), "ok_metric"); len(got[`{__name__="ok_metric"}`]) != 2 {
		t.Errorf("ok_metric = %v, want 2 samples", got)
	}
	if got := querySamples(t, st.DB(), "evil"); len(got) != 0 {
		t.Errorf("future samples stored: %v", got)
	}
	if got := testutil.ToFloat64(h.rejected.WithLabelValues(ReasonTooFarInFuture)); got != 3 {
		t.Errorf("rejected too_far_in_future = %v, want 3", got)
	}
	if got := testutil.ToFloat64(ingest.Dropped.WithLabelValues("remote_write", store.ReasonTooFarInFuture)); got != 3 {
		t.Errorf("ingest dropped{remote_write,too_far_in_future} = %v, want 3", got)
	}
}
