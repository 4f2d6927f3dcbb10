package promapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// An answer of more series than Options.MaxSeries is a 422 "execution" error
// naming the limit; answers at or under it, and aggregations over more
// series, are served.
func TestQueryMaxSeries(t *testing.T) {
	t.Parallel()
	t0 := time.Now().Add(-time.Minute).Truncate(time.Second)
	s, _ := startStore(t, t0)
	srv := httptest.NewServer(New(Options{Engine: s.Engine(), Queryable: s, MaxSeries: 2}))
	defer srv.Close()
	unlimited := httptest.NewServer(New(Options{Engine: s.Engine(), Queryable: s}))
	defer unlimited.Close()

	at := fmt.Sprint(t0.Add(4 * step).Unix())
	instant := func(q string) url.Values { return url.Values{"query": {q}, "time": {at}} }
	ranged := func(q string) url.Values {
		return url.Values{"query": {q}, "start": {fmt.Sprint(t0.Unix())}, "end": {at}, "step": {"10"}}
	}
	tests := []struct {
		name     string
		base     string
		path     string
		form     url.Values
		code     int
		errType  string
		errorMsg string
	}{
		{"instant over the cap", srv.URL, "/api/v1/query", instant("roomwatch_probe_up"), 422, "execution", "query returns too many series: 3, more than query.max_series 2"},
		{"range over the cap", srv.URL, "/api/v1/query_range", ranged("roomwatch_probe_up"), 422, "execution", "query returns too many series: 3, more than query.max_series 2"},
		{"instant at the cap", srv.URL, "/api/v1/query", instant("roomwatch_icmp_packet_loss_ratio"), 200, "", ""},
		{"range at the cap", srv.URL, "/api/v1/query_range", ranged("roomwatch_icmp_packet_loss_ratio"), 200, "", ""},
		{"aggregation over more series", srv.URL, "/api/v1/query", instant("count by (site) (roomwatch_probe_up)"), 200, "", ""},
		{"scalar", srv.URL, "/api/v1/query_range", ranged("1 + 1"), 200, "", ""},
		{"default cap", unlimited.URL, "/api/v1/query", instant("roomwatch_probe_up"), 200, "", ""},
	}
	for _, tc := range tests {
		resp, err := http.PostForm(tc.base+tc.path, tc.form)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var env struct {
			Status    string `json:"status"`
			ErrorType string `json:"errorType"`
			Error     string `json:"error"`
			Data      struct {
				Result []any `json:"result"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("%s: %v: %s", tc.name, err, body)
		}
		if resp.StatusCode != tc.code || env.ErrorType != tc.errType || !strings.Contains(env.Error, tc.errorMsg) {
			t.Errorf("%s: got %d %q %q, want %d %q containing %q", tc.name, resp.StatusCode, env.ErrorType, env.Error, tc.code, tc.errType, tc.errorMsg)
		}
		if tc.code == 200 && tc.name != "scalar" && len(env.Data.Result) == 0 {
			t.Errorf("%s: empty answer: %s", tc.name, body)
		}
	}
}
