package promapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/roomwatch/roomwatch/internal/store"
)

// A browser's Origin header used to crash every query request (the CORS
// regexp was nil). Now no origin is allowed by default, and web.cors_origin
// allows the ones it matches, whole.
func TestCORSOrigin(t *testing.T) {
	t.Parallel()
	s, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	grafana, err := CompileCORSOrigin(`https?://grafana\.example(:3000)?`)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := CompileCORSOrigin(".*")
	tests := []struct {
		name   string
		cors   string // "" default
		origin string
		want   string // Access-Control-Allow-Origin
	}{
		{"default, cross-site page", "", "https://evil.example", ""},
		{"default, opaque origin", "", "null", ""},
		{"default, no Origin", "", "", ""},
		{"allowed origin", "grafana", "http://grafana.example:3000", "http://grafana.example:3000"},
		{"anchored: a longer origin is not allowed", "grafana", "http://grafana.example.evil.example", ""},
		{"everything", "all", "https://evil.example", "*"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{Engine: s.Engine(), Queryable: s, Exemplars: s}
			switch tc.cors {
			case "grafana":
				opts.CORSOrigin = grafana
			case "all":
				opts.CORSOrigin = all
			}
			srv := httptest.NewServer(New(opts))
			defer srv.Close()
			for _, path := range []string{"/api/v1/query?query=1", "/api/v1/labels", "/api/v1/series?match[]=up"} {
				req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
				if tc.origin != "" {
					req.Header.Set("Origin", tc.origin)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || len(b) == 0 {
					t.Errorf("%s: %d %q", path, resp.StatusCode, b)
				}
				if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tc.want {
					t.Errorf("%s: Access-Control-Allow-Origin %q, want %q", path, got, tc.want)
				}
			}
		})
	}
	if _, err := CompileCORSOrigin("("); err == nil {
		t.Error("a bad expression compiled")
	}
}
