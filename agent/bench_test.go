package agent

import (
	"io"
	"net/http/httptest"
	"testing"
)

// BenchmarkScrape measures one /metrics request against this machine with the
// default config (plus one watched process), as Prometheus sends it (gzip).
func BenchmarkScrape(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Watch = []WatchRule{{Name: "init", Process: "systemd"}}
	opts := Options{Config: cfg}
	opts.defaults()
	reg, err := newRegistry(&opts)
	if err != nil {
		b.Fatal(err)
	}
	h := NewHandler(reg, opts.Logger)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/metrics", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
		_, _ = io.Copy(io.Discard, w.Body)
	}
}
