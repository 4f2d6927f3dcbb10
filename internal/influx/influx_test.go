package influx

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/tsdb"

	"github.com/roomwatch/roomwatch/internal/remotewrite"
	"github.com/roomwatch/roomwatch/internal/remotewrite/peertest"
)

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestSinkToVictoriaMetrics appends through a Tee over a real TSDB and reads
// the points back from a real VictoriaMetrics, which speaks the InfluxDB v2
// write API (it names the series measurement_field).
func TestSinkToVictoriaMetrics(t *testing.T) {
	t.Parallel()
	vm := peertest.StartVictoriaMetrics(t)
	sink, err := New(Options{URL: vm, Org: "roomwatch", Bucket: "metrics", BatchSize: 50, FlushInterval: 50 * time.Millisecond, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { sink.Run(ctx); close(done) }()

	db, err := tsdb.Open(t.TempDir(), nil, nil, tsdb.DefaultOptions(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tee := &remotewrite.Tee{Primary: db, Sinks: []remotewrite.Sink{sink}}

	start := time.Now().Add(-10 * time.Minute).Truncate(time.Second).UnixMilli()
	want := peertest.Series{}
	for _, dev := range []string{"ups1", "ups2"} {
		ls := labels.FromStrings("__name__", "roomwatch_ups_battery_charge_ratio", "device", dev, "site", "机房A")
		k := fmt.Sprintf(`roomwatch_ups_battery_charge_ratio_value,device=%q,site="机房A"`, dev)
		app := tee.Appender(ctx)
		for i := range 120 {
			p := peertest.Point{T: start + int64(i)*5000, V: float64(i) / 128} // exact in binary: VictoriaMetrics' float parser may round the last bit
			if _, err := app.Append(0, ls, p.T, p.V); err != nil {
				t.Fatal(err)
			}
			want[k] = append(want[k], p)
		}
		if err := app.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	var msg string
	deadline := time.Now().Add(30 * time.Second)
	for ok := false; !ok; {
		if time.Now().After(deadline) {
			t.Fatalf("VictoriaMetrics: %s", msg)
		}
		ok, msg = peertest.Equal(peertest.VMExport(t, vm, `{__name__="roomwatch_ups_battery_charge_ratio_value"}`), want)
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	if got := testutil.ToFloat64(sink.written); got != 240 {
		t.Errorf("written %v, want 240", got)
	}
}

// TestSinkRetriesAndBoundsMemory: a full queue drops and counts without
// blocking; a 503 is retried with the same points; the exact request is checked.
func TestSinkRetriesAndBoundsMemory(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var bodies []string
	answers := []int{503, 204}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path != "/api/v2/write" || r.URL.Query().Get("org") != "o" || r.URL.Query().Get("bucket") != "b" ||
			r.URL.Query().Get("precision") != "ms" || r.Header.Get("Authorization") != "Token secret" {
			t.Errorf("request %s %v", r.URL, r.Header)
		}
		bodies = append(bodies, string(b))
		w.WriteHeader(answers[0])
		answers = answers[1:]
	}))
	defer srv.Close()
	clock := clockwork.NewFakeClock()
	sink, err := New(Options{URL: srv.URL, Token: "secret", Org: "o", Bucket: "b", Capacity: 5, BatchSize: 5, Clock: clock, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	var batch []remotewrite.Sample
	for i := range 8 {
		batch = append(batch, remotewrite.Sample{Labels: labels.FromStrings("__name__", "m", "dev", fmt.Sprint("d", i)), T: 1700000000000 + int64(i), V: float64(i)})
	}
	sink.Enqueue(batch) // nothing runs yet: 5 fit, 3 are dropped
	if got := testutil.ToFloat64(sink.dropped.WithLabelValues("queue_full")); got != 3 {
		t.Fatalf("dropped %v, want 3", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { sink.Run(ctx); close(done) }()
	limit := time.Now().Add(30 * time.Second)
	for testutil.ToFloat64(sink.written) < 5 {
		if time.Now().After(limit) {
			t.Fatal("points never written")
		}
		clock.Advance(time.Second)
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	want := "m,dev=d0 value=0 1700000000000\nm,dev=d1 value=1 1700000000001\nm,dev=d2 value=2 1700000000002\nm,dev=d3 value=3 1700000000003\nm,dev=d4 value=4 1700000000004\n"
	if len(bodies) != 2 || bodies[0] != want || bodies[1] != want {
		t.Errorf("bodies %q, want twice %q", bodies, want)
	}
	if got := testutil.ToFloat64(sink.failures); got != 1 {
		t.Errorf("failures %v, want 1", got)
	}
}
