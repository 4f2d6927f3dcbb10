package remotewrite

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/prometheus/prompb"

	"github.com/roomwatch/roomwatch/internal/store"
)

// manySeries returns a request with n series of metric name, one sample each at ms.
func manySeries(name string, n int, ms int64) *prompb.WriteRequest {
	req := &prompb.WriteRequest{}
	for i := range n {
		req.Timeseries = append(req.Timeseries, series(name, map[string]string{"i": fmt.Sprint(i)}, point{ms, float64(i)}))
	}
	return req
}

func postWrite(t *testing.T, url string, req *prompb.WriteRequest) (int, string, string) {
	t.Helper()
	hr, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(string(encode(t, req))))
	hr.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get(RejectedHeader), string(b)
}

// A request with more series than MaxSeriesPerWrite is refused whole (413,
// naming the limit), counted, and nothing of it is stored; one at the limit
// is stored.
func TestHandlerRefusesTooManySeriesPerWrite(t *testing.T) {
	t.Parallel()
	st, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := NewHandler(st, HandlerOptions{Registerer: prometheus.NewRegistry(), Logger: quiet(), MaxSeriesPerWrite: 10})
	srv := httptest.NewServer(h)
	defer srv.Close()
	ms := time.Now().UnixMilli()
	tests := []struct {
		name       string
		metric     string
		n          int
		code       int
		wantHeader string
		wantMsg    string
		stored     int
	}{
		{"over the limit", "too_many", 11, 413, "too_many_series=11", "request holds 11 series, more than storage.max_series_per_write 10", 0},
		{"at the limit", "at_limit", 10, 204, "", "", 10},
	}
	for _, tc := range tests {
		code, header, msg := postWrite(t, srv.URL, manySeries(tc.metric, tc.n, ms))
		if code != tc.code || header != tc.wantHeader || !strings.Contains(msg, tc.wantMsg) {
			t.Errorf("%s: got %d %q %q, want %d %q containing %q", tc.name, code, header, msg, tc.code, tc.wantHeader, tc.wantMsg)
		}
		if got := querySamples(t, st.DB(), tc.metric); len(got) != tc.stored {
			t.Errorf("%s: %d series stored, want %d", tc.name, len(got), tc.stored)
		}
	}
	if got := testutil.ToFloat64(h.rejected.WithLabelValues(ReasonTooManySeries)); got != 11 {
		t.Errorf("rejected too_many_series = %v, want 11", got)
	}
}

// With the head at storage.max_series, samples of new series are refused
// (400, series_limit, counted by the receiver and per source) while the
// series the head holds keep being appended, in the same request.
func TestHandlerSeriesLimit(t *testing.T) {
	t.Parallel()
	st, err := store.Open(store.Options{Dir: t.TempDir(), MaxSeries: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ingest := store.NewIngestMetrics(nil)
	guard := store.NewFutureGuard(st, store.FutureGuardOptions{Metrics: ingest})
	h := NewHandler(guard.Source("remote_write"), HandlerOptions{Registerer: prometheus.NewRegistry(), Logger: quiet()})
	srv := httptest.NewServer(h)
	defer srv.Close()
	ms := time.Now().UnixMilli()

	if code, header, msg := postWrite(t, srv.URL, manySeries("old", 5, ms)); code != 204 {
		t.Fatalf("filling the head: %d %q %q", code, header, msg)
	}
	// The five old series again, a second later, plus three new ones.
	req := manySeries("old", 5, ms+1000)
	req.Timeseries = append(req.Timeseries, manySeries("new", 3, ms+1000).Timeseries...)
	code, header, msg := postWrite(t, srv.URL, req)
	if code != 400 || header != "series_limit=3" || !strings.Contains(msg, "3 of 8 samples not stored") || !strings.Contains(msg, "storage.max_series") {
		t.Errorf("got %d %q %q, want 400 series_limit=3 naming storage.max_series", code, header, msg)
	}
	old := querySamples(t, st.DB(), "old")
	if len(old) != 5 {
		t.Errorf("old series = %d, want 5", len(old))
	}
	for k, pts := range old {
		if len(pts) != 2 {
			t.Errorf("%s: %d samples, want 2 (still appended at the limit)", k, len(pts))
		}
	}
	if got := querySamples(t, st.DB(), "new"); len(got) != 0 {
		t.Errorf("new series stored past the limit: %v", got)
	}
	if n := st.DB().Head().NumSeries(); n != 5 {
		t.Errorf("head holds %d series, want 5", n)
	}
	if got := testutil.ToFloat64(h.rejected.WithLabelValues(ReasonSeriesLimit)); got != 3 {
		t.Errorf("rejected series_limit = %v, want 3", got)
	}
	if got := testutil.ToFloat64(ingest.Dropped.WithLabelValues("remote_write", store.ReasonSeriesLimit)); got != 3 {
		t.Errorf("ingest dropped{remote_write,series_limit} = %v, want 3", got)
	}
}
