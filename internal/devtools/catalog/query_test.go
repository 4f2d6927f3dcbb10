package catalog

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/roomwatch/roomwatch/internal/promapi"
	"github.com/roomwatch/roomwatch/internal/store"
)

// TestDashboardQueriesRun runs every dashboard query, instant and range,
// against the collector's query API (internal/promapi over an internal/store
// TSDB holding a few samples of every catalogued metric) and requires status
// success: no parse error, no unknown function, no type error.
func TestDashboardQueriesRun(t *testing.T) {
	t.Parallel()
	c := catalogue(t)
	s, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	t0 := time.Now().Add(-20 * time.Minute).Truncate(time.Minute)
	app := s.Appender(context.Background())
	for _, e := range c.Entries() {
		for dev := 0; dev < 4; dev++ {
			b := labels.NewScratchBuilder(len(e.Labels) + 1)
			b.Add(model.MetricNameLabel, e.Name)
			for _, l := range e.Labels {
				v := l + "-" + strconv.Itoa(dev)
				switch l {
				case "site":
					v = "hq"
				case "probe":
					v = "icmp"
				case "class":
					v = []string{"switch", "switch", "camera", "camera"}[dev]
				case "fault_level":
					v = "I"
				case "alertstate":
					v = "firing"
				case "mode":
					v = "idle"
				case "stat":
					v = "avg"
				}
				b.Add(l, v)
			}
			b.Sort()
			ls := b.Labels()
			for i := 0; i <= 40; i++ {
				v := float64(dev % 2) // per class, one device at 0 and one at 1
				switch {
				case e.Name == "roomwatch_if_admin_status":
					v = 1
				case strings.HasSuffix(e.Name, "_total"):
					v = float64(i * 10)
				}
				if _, err := app.Append(0, ls, t0.Add(time.Duration(i)*30*time.Second).UnixMilli(), v); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(promapi.New(promapi.Options{Engine: s.Engine(), Queryable: s}))
	t.Cleanup(srv.Close)

	qs, err := DashboardQueries(filepath.Join(root, "dashboards"))
	if err != nil {
		t.Fatal(err)
	}
	at := t0.Add(20 * time.Minute)
	empty := 0
	for _, q := range qs {
		expr := Normalise(q.Expr)
		for _, v := range []string{"$site", "$host"} {
			expr = strings.ReplaceAll(expr, v, ".*")
		}
		if !strings.Contains(q.Where, "panel") {
			continue // label_values() variables are not PromQL
		}
		for _, path := range []string{"/api/v1/query", "/api/v1/query_range"} {
			form := url.Values{"query": {expr}}
			if path == "/api/v1/query" {
				form.Set("time", strconv.FormatInt(at.Unix(), 10))
			} else {
				form.Set("start", strconv.FormatInt(t0.Unix(), 10))
				form.Set("end", strconv.FormatInt(at.Unix(), 10))
				form.Set("step", "30")
			}
			resp, err := http.PostForm(srv.URL+path, form)
			if err != nil {
				t.Fatal(err)
			}
			var body struct {
				Status string `json:"status"`
				Error  string `json:"error"`
				Data   struct {
					Result []json.RawMessage `json:"result"`
				} `json:"data"`
			}
			err = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("%s: %v", q.Where, err)
			}
			if body.Status != "success" {
				t.Errorf("%s %s: %s %s (%s)", q.Where, path, body.Status, body.Error, expr)
				continue
			}
			if path == "/api/v1/query" && len(body.Data.Result) == 0 {
				empty++
				t.Logf("%s: empty result (%s)", q.Where, expr)
			}
		}
	}
	if empty > 0 {
		t.Errorf("%d dashboard queries returned nothing although every catalogued metric has samples", empty)
	}
}
