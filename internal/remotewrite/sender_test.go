package remotewrite

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"

	"github.com/roomwatch/roomwatch/internal/remotewrite/peertest"
)

// TestTeeForwardsToVictoriaMetricsAndPrometheus: samples pushed into the
// collector's receiver land in the local TSDB and, through the Tee, in a real
// VictoriaMetrics and a real Prometheus 2.42, read back through their APIs.
func TestTeeForwardsToVictoriaMetricsAndPrometheus(t *testing.T) {
	t.Parallel()
	var vm, prom string
	var wg sync.WaitGroup
	wg.Go(func() { vm = peertest.StartVictoriaMetrics(t) })
	wg.Go(func() { prom = peertest.StartPrometheus(t) })
	wg.Wait()
	if t.Failed() || t.Skipped() {
		return
	}

	db := openTSDB(t, t.TempDir(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var senders []*Sender
	var sinks []Sink
	for _, u := range []string{vm + "/api/v1/write", prom + "/api/v1/write"} {
		s, err := NewSender(SenderOptions{URL: u, BatchSize: 100, FlushInterval: 50 * time.Millisecond, Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		senders = append(senders, s)
		sinks = append(sinks, s)
		wg.Go(func() { s.Run(ctx) })
	}
	srv := httptest.NewServer(NewHandler(&Tee{Primary: db, Sinks: sinks}, HandlerOptions{Logger: quiet()}))
	defer srv.Close()

	now := time.Now().Truncate(time.Second)
	start := now.Add(-5 * time.Minute).UnixMilli()
	want := peertest.Series{}
	var req prompb.WriteRequest
	for _, dev := range []string{"ups1", "ups2", "ac1"} {
		ts := series("roomwatch_test_temperature_celsius", map[string]string{"device": dev, "site": "机房A"})
		k := fmt.Sprintf(`roomwatch_test_temperature_celsius,device=%q,site="机房A"`, dev)
		for i := range 100 {
			p := point{start + int64(i)*3000, 20 + float64(i)/4}
			ts.Samples = append(ts.Samples, prompb.Sample{Timestamp: p.T, Value: p.V})
			want[k] = append(want[k], peertest.Point{T: p.T, V: p.V})
		}
		req.Timeseries = append(req.Timeseries, ts)
	}
	if code, msg := post(t, srv.URL, encode(t, &req), nil); code != http.StatusNoContent {
		t.Fatalf("push: %d %s", code, msg)
	}
	if got := querySamples(t, db, "roomwatch_test_temperature_celsius"); len(got) != 3 {
		t.Fatalf("local TSDB holds %d series", len(got))
	}

	var msg string
	deadline := time.Now().Add(30 * time.Second)
	for ok := false; !ok; {
		if time.Now().After(deadline) {
			t.Fatalf("VictoriaMetrics: %s", msg)
		}
		ok, msg = peertest.Equal(peertest.VMExport(t, vm, `{__name__="roomwatch_test_temperature_celsius"}`), want)
		time.Sleep(50 * time.Millisecond)
	}
	for ok := false; !ok; {
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus: %s", msg)
		}
		ok, msg = peertest.Equal(peertest.PromRange(t, prom, "roomwatch_test_temperature_celsius", 10*time.Minute, now), want)
		time.Sleep(50 * time.Millisecond)
	}
	for _, s := range senders {
		if got := testutil.ToFloat64(s.sent); got != 300 {
			t.Errorf("%s sent %v samples, want 300", s.opts.Name, got)
		}
	}
	cancel()
	wg.Wait()
}

func TestSenderRetriesAndDrops(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	answers := []int{503, 429, 204, 400}
	var mu sync.Mutex
	var sizes []int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		req, err := Decode(mustRead(r), DefaultMaxDecodedBytes)
		if err != nil {
			t.Error(err)
		}
		mu.Lock()
		sizes = append(sizes, len(req.Timeseries))
		mu.Unlock()
		w.WriteHeader(answers[min(int(n)-1, len(answers)-1)])
	}))
	defer srv.Close()
	clock := clockwork.NewFakeClock()
	s, err := NewSender(SenderOptions{URL: srv.URL, Capacity: 10, BatchSize: 4, Clock: clock, Logger: quiet(), MinBackoff: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// Not running yet: the queue takes 10, the rest is dropped without blocking.
	batch := make([]Sample, 25)
	for i := range batch {
		batch[i] = Sample{Labels: labels.FromStrings("__name__", "m", "i", fmt.Sprint(i)), T: int64(i), V: 1}
	}
	s.Enqueue(batch)
	if got := testutil.ToFloat64(s.dropped.WithLabelValues("queue_full")); got != 15 {
		t.Fatalf("dropped(queue_full) = %v, want 15", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	// The first batch of 4 is retried twice (503, 429) then sent; every later
	// one is rejected (400). Partial batches go out on flush ticks.
	limit := time.Now().Add(30 * time.Second)
	for calls.Load() == 0 { // the first batch is cut before the clock moves
		if time.Now().After(limit) {
			t.Fatal("no request")
		}
		time.Sleep(time.Millisecond)
	}
	for testutil.ToFloat64(s.sent)+testutil.ToFloat64(s.dropped.WithLabelValues("rejected")) < 10 {
		if time.Now().After(limit) {
			t.Fatalf("sent %v rejected %v", testutil.ToFloat64(s.sent), testutil.ToFloat64(s.dropped.WithLabelValues("rejected")))
		}
		clock.Advance(time.Second)
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if got := testutil.ToFloat64(s.sent); got != 4 {
		t.Errorf("sent %v, want 4", got)
	}
	if got := testutil.ToFloat64(s.dropped.WithLabelValues("rejected")); got != 6 {
		t.Errorf("rejected %v, want 6", got)
	}
	if got := testutil.ToFloat64(s.failures); got != 2 {
		t.Errorf("failures %v, want 2", got)
	}
	rest := 0
	for _, n := range sizes[3:] {
		rest += n
	}
	if fmt.Sprint(sizes[:3]) != "[4 4 4]" || rest != 6 {
		t.Errorf("request sizes %v, want the same 4 three times, then 6 more", sizes)
	}
}
