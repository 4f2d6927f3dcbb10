package collector

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
)

// The storage and query limits of the config reach the remote-write
// receiver, the TSDB and the query API of a running collector.
func TestLimitsWired(t *testing.T) {
	t.Parallel()
	cfg := bareConfig(t)
	cfg.Storage.MaxSeriesPerWrite = 5
	cfg.Storage.MaxSeries = 8
	cfg.Query.MaxSeries = 3
	base := startServe(t, cfg)
	now := time.Now().UnixMilli()
	write := func(name string, n int) (int, string, string) {
		t.Helper()
		req := prompb.WriteRequest{}
		for i := range n {
			req.Timeseries = append(req.Timeseries, prompb.TimeSeries{
				Labels:  []prompb.Label{{Name: "__name__", Value: name}, {Name: "i", Value: fmt.Sprint(i)}},
				Samples: []prompb.Sample{{Timestamp: now, Value: 1}},
			})
		}
		raw, err := req.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		hr, _ := http.NewRequest(http.MethodPost, base+"/api/v1/write", bytes.NewReader(snappy.Encode(nil, raw)))
		hr.Header.Set("Content-Type", "application/x-protobuf")
		hr.Header.Set("Content-Encoding", "snappy")
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("X-Roomwatch-Rejected"), string(b)
	}
	if code, hdr, msg := write("too_big", 6); code != 413 || hdr != "too_many_series=6" || !strings.Contains(msg, "storage.max_series_per_write 5") {
		t.Errorf("6 series: %d %q %q, want 413 naming storage.max_series_per_write", code, hdr, msg)
	}
	if code, hdr, msg := write("w", 5); code != 204 {
		t.Fatalf("5 series: %d %q %q", code, hdr, msg)
	}
	// The collector's own series may already be in the head; whatever they
	// are, a write of 5 more new series crosses the limit of 8.
	if code, hdr, _ := write("x", 5); code != 400 || !strings.HasPrefix(hdr, "series_limit=") {
		t.Errorf("past storage.max_series: %d %q, want 400 series_limit", code, hdr)
	}
	q := url.Values{"query": {"w"}}
	if code, body := get(t, base+"/api/v1/query?"+q.Encode()); code != 422 || !strings.Contains(body, "query returns too many series: 5, more than query.max_series 3") {
		t.Errorf("query of 5 series: %d %s, want 422", code, body)
	}
	q.Set("query", "count(w)")
	if code, body := get(t, base+"/api/v1/query?"+q.Encode()); code != 200 || !strings.Contains(body, `"5"`) {
		t.Errorf("count(w): %d %s, want 200 with 5", code, body)
	}
}
