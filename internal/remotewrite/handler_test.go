package remotewrite

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/golang/snappy"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/prometheus/prompb"
)

func series(name string, lbls map[string]string, pts ...point) prompb.TimeSeries {
	ts := prompb.TimeSeries{Labels: []prompb.Label{{Name: "__name__", Value: name}}}
	for k, v := range lbls {
		ts.Labels = append(ts.Labels, prompb.Label{Name: k, Value: v})
	}
	for _, p := range pts {
		ts.Samples = append(ts.Samples, prompb.Sample{Timestamp: p.T, Value: p.V})
	}
	return ts
}

func encode(t testing.TB, req *prompb.WriteRequest) []byte {
	t.Helper()
	raw, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return snappy.Encode(nil, raw)
}

type pushRecorder struct {
	mu     sync.Mutex
	agents []string
}

func (p *pushRecorder) OnPush(agent string, _ float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.agents = append(p.agents, agent)
}

func post(t testing.TB, url string, body []byte, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "snappy")
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHandlerAcceptsAndReplaysHarmlessly(t *testing.T) {
	t.Parallel()
	db := openTSDB(t, t.TempDir(), nil)
	reg := prometheus.NewRegistry()
	rec := &pushRecorder{}
	h := NewHandler(db, HandlerOptions{Registerer: reg, OnPush: rec.OnPush, Logger: quiet()})
	srv := httptest.NewServer(h)
	defer srv.Close()

	batch := &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{
		series("node_load1", map[string]string{"agent": "web1"}, point{1000, 0.5}, point{2000, 0.7}),
		series("node_load5", map[string]string{"agent": "web1"}, point{1000, 0.2}, point{2000, 0.3}),
	}}
	body := encode(t, batch)
	agentHdr := map[string]string{AgentHeader: "web1"}
	for i := 0; i < 3; i++ { // the first time, then two replays of the same batch
		if code, msg := post(t, srv.URL, body, agentHdr); code != http.StatusNoContent {
			t.Fatalf("push %d: %d %s", i, code, msg)
		}
	}
	// A conflicting value for a stored timestamp is refused per sample, not per request.
	conflict := encode(t, &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{
		series("node_load1", map[string]string{"agent": "web1"}, point{2000, 9}, point{3000, 0.9}),
	}})
	if code, msg := post(t, srv.URL, conflict, nil); code != http.StatusNoContent {
		t.Fatalf("conflict push: %d %s", code, msg)
	}

	got := querySamples(t, db, "node_load.*")
	want := map[string][]point{
		`{__name__="node_load1", agent="web1"}`: {{1000, 0.5}, {2000, 0.7}, {3000, 0.9}},
		`{__name__="node_load5", agent="web1"}`: {{1000, 0.2}, {2000, 0.3}},
	}
	if len(got) != len(want) {
		t.Fatalf("series = %v, want %v", got, want)
	}
	for k, w := range want {
		if g := got[k]; len(g) != len(w) || !equalPoints(g, w) {
			t.Errorf("%s = %v, want %v", k, g, w)
		}
	}
	if got := testutil.ToFloat64(h.received); got != 14 {
		t.Errorf("received = %v, want 14", got)
	}
	// Replays: per series the newest sample is an identical duplicate the TSDB
	// takes silently; the older ones come back as out of order.
	if got := testutil.ToFloat64(h.rejected.WithLabelValues(ReasonOutOfOrder)); got != 4 {
		t.Errorf("rejected out_of_order = %v, want 4", got)
	}
	if got := testutil.ToFloat64(h.rejected.WithLabelValues(ReasonDuplicate)); got != 1 {
		t.Errorf("rejected duplicate = %v, want 1", got)
	}
	if len(rec.agents) != 3 || rec.agents[0] != "web1" {
		t.Errorf("OnPush calls = %v, want web1 three times", rec.agents)
	}
}

func equalPoints(a, b []point) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestHandlerRejectsBadRequests(t *testing.T) {
	t.Parallel()
	db := openTSDB(t, t.TempDir(), nil)
	h := NewHandler(db, HandlerOptions{MaxDecodedBytes: 4096, Registerer: prometheus.NewRegistry(), Logger: quiet()})
	srv := httptest.NewServer(h)
	defer srv.Close()

	good := encode(t, &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{series("up", nil, point{1000, 1})}})
	big := &prompb.WriteRequest{}
	for i := 0; i < 200; i++ {
		big.Timeseries = append(big.Timeseries, series("padding_metric_with_a_long_name", map[string]string{"i": strings.Repeat("x", 20) + string(rune('a'+i%26))}, point{int64(i), 1}))
	}
	hugeCompressed := snappy.Encode(nil, make([]byte, 64<<10)) // small on the wire, 64 KiB decoded
	notProto := snappy.Encode(nil, []byte("this is not a protobuf message \xff\xff\xff"))

	tests := []struct {
		name    string
		method  string
		body    []byte
		hdr     map[string]string
		code    int
		wantMsg string
	}{
		{"not snappy", http.MethodPost, []byte("\xff\xff\xff\xff\xff\xff garbage"), nil, 400, "bad snappy body"},
		{"truncated snappy", http.MethodPost, good[:len(good)-3], nil, 400, "bad snappy body"},
		{"snappy of garbage", http.MethodPost, notProto, nil, 400, "bad protobuf WriteRequest"},
		{"decoded size over limit", http.MethodPost, hugeCompressed, nil, 400, "exceeds the 4096 byte limit"},
		{"large real request over limit", http.MethodPost, encode(t, big), nil, 400, "exceeds the 4096 byte limit"},
		{"body over limit", http.MethodPost, bytes.Repeat([]byte{0}, 8000), nil, 400, "body exceeds"},
		{"wrong content type", http.MethodPost, good, map[string]string{"Content-Type": "application/json"}, 400, "unsupported Content-Type"},
		{"remote write 2.0", http.MethodPost, good, map[string]string{"Content-Type": "application/x-protobuf;proto=io.prometheus.write.v2.Request"}, 400, "only v1"},
		{"gzip", http.MethodPost, good, map[string]string{"Content-Encoding": "gzip"}, 400, "unsupported Content-Encoding"},
		{"GET", http.MethodGet, nil, nil, 405, "takes POST"},
		{"missing headers still v1", http.MethodPost, good, map[string]string{"Content-Type": "", "Content-Encoding": ""}, 204, ""},
		{"invalid labels", http.MethodPost, encode(t, &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{
			series("ok_metric", nil, point{1000, 1}),
			{Labels: []prompb.Label{{Name: "job", Value: "x"}}, Samples: []prompb.Sample{{Timestamp: 1000, Value: 1}}},
		}}), nil, 400, "1 of 2 samples not stored (the rest were stored): invalid_labels: 1, first: {job=\"x\"}: no metric name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL, bytes.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/x-protobuf")
			req.Header.Set("Content-Encoding", "snappy")
			for k, v := range tc.hdr {
				if v == "" {
					req.Header.Del(k)
				} else {
					req.Header.Set(k, v)
				}
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.code || !strings.Contains(string(b), tc.wantMsg) {
				t.Errorf("got %d %q, want %d containing %q", resp.StatusCode, b, tc.code, tc.wantMsg)
			}
		})
	}
	if got := querySamples(t, db, "ok_metric"); len(got) != 1 {
		t.Errorf("valid series beside an invalid one not stored: %v", got)
	}
	if got := testutil.ToFloat64(h.rejected.WithLabelValues(ReasonInvalidLabels)); got != 1 {
		t.Errorf("rejected invalid_labels = %v, want 1", got)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(encode(f, &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{series("up", map[string]string{"a": "b"}, point{1, 1}, point{2, 2})}}))
	f.Add([]byte{})
	f.Add([]byte("\xff\xff\xff\xff\x0f"))
	f.Add(snappy.Encode(nil, []byte("\x0a\x05\x0a\x03\x0a\x01a")))
	f.Add(snappy.Encode(nil, make([]byte, 100)))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := Decode(body, 1<<16)
		if err != nil {
			if req != nil {
				t.Fatal("request returned with an error")
			}
			return
		}
		// Whatever decodes must re-encode and decode to the same size.
		raw, err := req.Marshal()
		if err != nil {
			t.Fatalf("decoded request does not marshal: %v", err)
		}
		if _, err := Decode(snappy.Encode(nil, raw), 1<<16); err != nil {
			t.Fatalf("re-encoded request does not decode: %v", err)
		}
	})
}
