package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/tsdb"
)

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

var t0 = time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)

func TestRegisterListPersist(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClockAt(t0)
	path := filepath.Join(t.TempDir(), "agents.json")
	r, err := Open(Options{Path: path, Clock: clock, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/v1/agents/register", r.RegisterHandler())
	mux.Handle("/api/v1/agents", r.ListHandler())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		name, body string
		code       int
		msg        string
	}{
		{"ok", `{"hostname":"web1","ips":["10.0.0.5"],"os":"linux","platform":"debian","kernel":"6.1.0","site":"城关派出所","version":"1.2.0"}`, 204, ""},
		{"no hostname", `{"os":"linux"}`, 400, "hostname is required"},
		{"bad hostname", `{"hostname":"a b"}`, 400, "not a host name"},
		{"not json", `hostname=web1`, 400, "bad registration JSON"},
		{"too big", `{"hostname":"x","os":"` + strings.Repeat("a", MaxRegisterBytes) + `"}`, 400, "bad registration JSON"},
		{"text/plain (a cross-site form)", `{"hostname":"evil"}`, 415, "Content-Type: application/json"},
		{"form", `{"hostname":"evil"}`, 415, "Content-Type: application/json"},
	}
	for _, tc := range tests {
		ct := "application/json"
		switch tc.name {
		case "text/plain (a cross-site form)":
			ct = "text/plain;charset=UTF-8"
		case "form":
			ct = "application/x-www-form-urlencoded"
		}
		resp, err := http.Post(srv.URL+"/api/v1/agents/register", ct, strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || !strings.Contains(string(b), tc.msg) {
			t.Errorf("%s: got %d %q, want %d %q", tc.name, resp.StatusCode, b, tc.code, tc.msg)
		}
	}
	clock.Advance(90 * time.Second)
	r.Seen("web1", float64(clock.Now().Unix()))
	r.Seen("db2", float64(clock.Now().Unix())) // pushed without registering
	if err := r.Save(); err != nil {
		t.Fatal(err)
	}

	resp, err := http.Get(srv.URL + "/api/v1/agents")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Status string  `json:"status"`
		Data   []Agent `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if list.Status != "success" || len(list.Data) != 2 || list.Data[1].Hostname != "web1" || list.Data[1].Site != "城关派出所" ||
		!list.Data[1].LastSeen.Equal(t0.Add(90*time.Second)) || !list.Data[1].RegisteredAt.Equal(t0) || list.Data[0].Hostname != "db2" {
		t.Fatalf("GET /api/v1/agents = %+v", list)
	}

	// Reopened from the file, the registry knows the same agents.
	r2, err := Open(Options{Path: path, Clock: clock, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	got, want := r2.Agents(), r.Agents()
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if !bytes.Equal(gb, wb) {
		t.Errorf("after reopen\n%s\nwant\n%s", gb, wb)
	}

	expo := `
# HELP roomwatch_agent_last_seen_timestamp_seconds When the agent was last heard from (a push or registration), Unix seconds.
# TYPE roomwatch_agent_last_seen_timestamp_seconds gauge
roomwatch_agent_last_seen_timestamp_seconds{agent="db2",device="db2",site=""} 1.77762249e+09
roomwatch_agent_last_seen_timestamp_seconds{agent="web1",device="web1",site="城关派出所"} 1.77762249e+09
`
	if err := testutil.CollectAndCompare(r2, strings.NewReader(expo), LastSeenMetric); err != nil {
		t.Error(err)
	}
}

// TestAgentMissingRule shows the rule expression over the series Run writes
// into a real TSDB: silent for a live agent, firing once it stops pushing.
func TestAgentMissingRule(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClockAt(t0)
	r, err := Open(Options{Clock: clock, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	db, err := tsdb.Open(t.TempDir(), nil, nil, tsdb.DefaultOptions(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := r.Register(Info{Hostname: "web1", Site: "s1"}, "127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(Info{Hostname: "web2", Site: "s1"}, "127.0.0.1:2"); err != nil {
		t.Fatal(err)
	}
	// Ten minutes, a round every 30 s; web1 keeps pushing, web2 goes quiet after 2 minutes.
	for i := 0; i <= 20; i++ {
		now := clock.Now()
		r.Seen("web1", float64(now.Unix()))
		if now.Sub(t0) <= 2*time.Minute {
			r.Seen("web2", float64(now.Unix()))
		}
		if err := r.AppendSeries(context.Background(), db); err != nil {
			t.Fatal(err)
		}
		clock.Advance(30 * time.Second)
	}
	eng := promql.NewEngine(promql.EngineOpts{MaxSamples: 1e6, Timeout: time.Minute, LookbackDelta: 5 * time.Minute})
	const expr = `time() - ` + LastSeenMetric + ` > 300`
	for _, tc := range []struct {
		at   time.Duration
		want string
	}{
		{4 * time.Minute, ""}, // both fresh enough
		{10 * time.Minute, `{agent="web2", device="web2", site="s1"}`}, // web2 silent for 8 minutes
	} {
		q, err := eng.NewInstantQuery(context.Background(), db, nil, expr, t0.Add(tc.at))
		if err != nil {
			t.Fatal(err)
		}
		res := q.Exec(context.Background())
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		vec, _ := res.Vector()
		var got []string
		for _, s := range vec {
			got = append(got, s.Metric.String())
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("at +%v %s = %v, want %q", tc.at, expr, got, tc.want)
		}
		q.Close()
	}
}
