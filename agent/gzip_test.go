package agent

import (
	stdgzip "compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestAcceptsGzip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header []string
		want   bool
	}{
		{nil, false},
		{[]string{"gzip"}, true},
		{[]string{"deflate, gzip, br, zstd"}, true},           // curl --compressed
		{[]string{"gzip;q=1.0,identity;q=0.5,*;q=0.1"}, true}, // Prometheus
		{[]string{"identity"}, false},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip; q=0.0"}, false},
		{[]string{"GZIP"}, true},
		{[]string{"*"}, true},
		{[]string{"br", "gzip"}, true},
		{[]string{"gzip;q=x"}, false},
		{[]string{"gzipx"}, false},
	}
	for _, tt := range tests {
		if got := acceptsGzip(tt.header); got != tt.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

// TestGzipMetrics serves a real registry through NewHandler: a gzip scrape
// decodes (with the standard library's reader) to exactly the plain scrape,
// and errors written with http.Error stay uncompressed.
func TestGzipMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "roomwatch_test_value", Help: "Test gauge."}, []string{"n"})
	reg.MustRegister(g)
	// Enough series to span several 32 kB blocks.
	for i := range 3000 {
		g.WithLabelValues(strings.Repeat("x", i%50) + string(rune('a'+i%26)) + strings.Repeat("y", i/26)).Set(float64(i))
	}
	h := NewHandler(reg, slog.New(slog.DiscardHandler))
	get := func(enc string) *http.Response {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if enc != "" {
			req.Header.Set("Accept-Encoding", enc)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Result()
	}
	plain := get("")
	if ce := plain.Header.Get("Content-Encoding"); ce != "" {
		t.Fatalf("plain scrape: Content-Encoding %q", ce)
	}
	want, _ := io.ReadAll(plain.Body)
	if len(want) < 3*gzipBufferSize {
		t.Fatalf("exposition is only %d bytes; the test needs several blocks", len(want))
	}

	zipped := get("gzip")
	if zipped.StatusCode != 200 || zipped.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip scrape: status %d, Content-Encoding %q", zipped.StatusCode, zipped.Header.Get("Content-Encoding"))
	}
	if v := zipped.Header.Get("Vary"); v != "Accept-Encoding" {
		t.Errorf("Vary = %q", v)
	}
	compressed, _ := io.ReadAll(zipped.Body)
	zr, err := stdgzip.NewReader(strings.NewReader(string(compressed)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("decoding the gzip scrape: %v", err)
	}
	if string(got) != string(want) {
		t.Fatalf("gzip scrape decodes to %d bytes differing from the plain %d bytes", len(got), len(want))
	}
	if len(compressed)*4 > len(want) {
		t.Errorf("compressed %d of %d bytes: want at least 4:1 on this repetitive exposition", len(compressed), len(want))
	}
	t.Logf("exposition %d bytes, gzip %d", len(want), len(compressed))

	// An error response stays plain even when gzip is accepted.
	eh := gzipMetrics(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Limit of concurrent requests reached", http.StatusServiceUnavailable)
	}))
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	w := httptest.NewRecorder()
	eh.ServeHTTP(w, req)
	if w.Code != 503 || w.Header().Get("Content-Encoding") != "" || !strings.Contains(w.Body.String(), "Limit of concurrent") {
		t.Errorf("error response: %d %q %q", w.Code, w.Header().Get("Content-Encoding"), w.Body.String())
	}
}
