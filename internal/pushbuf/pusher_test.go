package pushbuf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"google.golang.org/protobuf/proto"

	"github.com/roomwatch/roomwatch/internal/registry"
	"github.com/roomwatch/roomwatch/internal/remotewrite"
	rwtestutil "github.com/roomwatch/roomwatch/internal/testutil"
)

const receiverEnv = "ROOMWATCH_PUSHBUF_TEST_RECEIVER"

// TestMain doubles as the receiver process for the kill -9 test: with
// receiverEnv set to "DIR ADDR" it serves remote write into a TSDB in DIR.
func TestMain(m *testing.M) {
	if spec := os.Getenv(receiverEnv); spec != "" {
		dir, addr, _ := strings.Cut(spec, " ")
		if err := serveReceiver(dir, addr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func serveReceiver(dir, addr string) error {
	db, err := tsdb.Open(dir, nil, nil, tsdb.DefaultOptions(), nil)
	if err != nil {
		return err
	}
	defer db.Close()
	mux := http.NewServeMux()
	mux.Handle("/api/v1/write", remotewrite.NewHandler(db, remotewrite.HandlerOptions{}))
	mux.HandleFunc("/ready", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	return http.ListenAndServe(addr, mux)
}

// seqGatherer returns three series per gather; test_seq counts the gathers.
type seqGatherer struct {
	n       atomic.Int64
	stampMs int64 // when set, samples carry base+n*1000 as their own timestamp
}

func (g *seqGatherer) Gather() ([]*dto.MetricFamily, error) {
	n := g.n.Add(1)
	var ts *int64
	if g.stampMs != 0 {
		ts = proto.Int64(g.stampMs + n*1000)
	}
	gauge := func(name string, v float64, lbl ...string) *dto.MetricFamily {
		m := &dto.Metric{Gauge: &dto.Gauge{Value: proto.Float64(v)}, TimestampMs: ts}
		for i := 0; i < len(lbl); i += 2 {
			m.Label = append(m.Label, &dto.LabelPair{Name: proto.String(lbl[i]), Value: proto.String(lbl[i+1])})
		}
		return &dto.MetricFamily{Name: proto.String(name), Type: dto.MetricType_GAUGE.Enum(), Metric: []*dto.Metric{m}}
	}
	return []*dto.MetricFamily{
		gauge("test_seq", float64(n)),
		gauge("node_load1", float64(n)/100, "cpu", "all"),
		gauge("node_memory_MemAvailable_bytes", float64(n)*4096),
	}, nil
}

func readTSDB(t *testing.T, db *tsdb.DB, name string) map[string][][2]float64 {
	t.Helper()
	q, err := db.Querier(math.MinInt64, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	out := map[string][][2]float64{}
	ss := q.Select(context.Background(), true, nil, labels.MustNewMatcher(labels.MatchRegexp, "__name__", name))
	for ss.Next() {
		it := ss.At().Iterator(nil)
		for it.Next() == chunkenc.ValFloat {
			ts, v := it.At()
			out[ss.At().Labels().String()] = append(out[ss.At().Labels().String()], [2]float64{float64(ts), v})
		}
	}
	if ss.Err() != nil {
		t.Fatal(ss.Err())
	}
	return out
}

// checkAllOnce asserts test_seq holds exactly the values 1..n, once each, in
// timestamp order, and the other series n samples each.
func checkAllOnce(t *testing.T, db *tsdb.DB, n int) {
	t.Helper()
	got := readTSDB(t, db, "test_seq|node_.*")
	if len(got) != 3 {
		t.Fatalf("series in TSDB: %d, want 3", len(got))
	}
	seq := got[`{__name__="test_seq", agent="web1"}`]
	if len(seq) != n {
		t.Errorf("test_seq has %d samples, want %d", len(seq), n)
	}
	for i, p := range seq {
		if p[1] != float64(i+1) {
			t.Fatalf("test_seq sample %d = %v, want value %d (a lost or repeated gather)", i, p, i+1)
		}
	}
	for k, v := range got {
		if len(v) != n {
			t.Errorf("%s has %d samples, want %d", k, len(v), n)
		}
	}
}

// receiver is an in-process collector receiver that can be stopped and
// restarted on the same address.
type receiver struct {
	addr string
	h    http.Handler
	srv  *http.Server
}

func (r *receiver) start(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	r.srv = &http.Server{Handler: r.h}
	go r.srv.Serve(l)
}

func (r *receiver) stop() { r.srv.Close() }

// waitFor polls cond (advancing the fake clock, if any, to wake backoffs)
// until it holds; the real-time limit only guards against a hang.
func waitFor(t *testing.T, what string, clock *clockwork.FakeClock, step time.Duration, cond func() bool) {
	t.Helper()
	limit := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(limit) {
			t.Fatalf("gave up waiting for %s", what)
		}
		if clock != nil {
			clock.Advance(step)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestPusherHourOutageAndAgentRestart: the collector is down for an hour of
// agent time (3600 one-second gathers); halfway the agent restarts. Once the
// collector is back, every gathered sample is in the TSDB exactly once.
func TestPusherHourOutageAndAgentRestart(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC))
	db, err := tsdb.Open(t.TempDir(), nil, nil, tsdb.DefaultOptions(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reg, _ := registry.Open(registry.Options{Clock: clock, Logger: quiet()})
	mux := http.NewServeMux()
	mux.Handle("/api/v1/write", remotewrite.NewHandler(db, remotewrite.HandlerOptions{Logger: quiet(), Clock: clock, OnPush: reg.Seen}))
	mux.Handle("/api/v1/agents/register", reg.RegisterHandler())
	rcv := &receiver{addr: fmt.Sprintf("127.0.0.1:%d", rwtestutil.FreePort(t)), h: mux}

	bufDir := t.TempDir()
	g := &seqGatherer{}
	agent := AgentInfo{Hostname: "web1", OS: "linux", Site: "城关", Version: "test"}
	startAgent := func() (*Pusher, *Buffer, func()) {
		buf := openBuf(t, bufDir, Options{Clock: clock})
		p, err := NewPusher(PusherOptions{
			Gatherer: g, Buffer: buf, Clock: clock, Logger: quiet(), Agent: agent,
			URL:            "http://" + rcv.addr + "/api/v1/write",
			RegisterURL:    "http://" + rcv.addr + "/api/v1/agents/register",
			ExternalLabels: map[string]string{"agent": "web1"},
			SequenceMetric: "roomwatch_agent_push_sequence",
			MinBackoff:     time.Second, MaxBackoff: 8 * time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { p.sendLoop(ctx) })
		wg.Go(func() { p.register(ctx) })
		return p, buf, func() { cancel(); wg.Wait(); buf.Close() }
	}
	collect := func(p *Pusher, n int) {
		for range n {
			if err := p.Collect(context.Background()); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Second)
		}
	}

	p, buf, stopAgent := startAgent()
	collect(p, 1800)
	if buf.Pending() != 1800 || buf.Acked() != 0 {
		t.Fatalf("during the outage: pending %d acked %d, want 1800 and 0", buf.Pending(), buf.Acked())
	}
	stopAgent() // agent restart mid-outage

	p, buf, stopAgent = startAgent()
	defer stopAgent()
	if buf.Pending() != 1800 {
		t.Fatalf("after the agent restart the buffer holds %d records, want 1800", buf.Pending())
	}
	collect(p, 1800)
	if got := testutil.ToFloat64(p.failures.WithLabelValues("network")); got == 0 {
		t.Error("no failed attempts counted during the outage")
	}

	rcv.start(t)
	defer rcv.stop()
	waitFor(t, "the buffer to drain", clock, 8*time.Second, func() bool { return buf.Pending() == 0 })
	if buf.Acked() != 3600 {
		t.Errorf("acked %d, want 3600", buf.Acked())
	}
	checkAllOnce(t, db, 3600)
	// The pusher's own sequence series runs 1..3600 across the agent restart.
	seqs := readTSDB(t, db, "roomwatch_agent_push_sequence")[`{__name__="roomwatch_agent_push_sequence", agent="web1"}`]
	if len(seqs) != 3600 {
		t.Errorf("roomwatch_agent_push_sequence has %d samples, want 3600", len(seqs))
	}
	for i, p := range seqs {
		if p[1] != float64(i+1) {
			t.Fatalf("roomwatch_agent_push_sequence sample %d = %v, want %d", i, p, i+1)
		}
	}
	waitFor(t, "registration", clock, 8*time.Second, func() bool {
		a := reg.Agents()
		return len(a) == 1 && a[0].OS == "linux"
	})
	if a := reg.Agents()[0]; a.LastSeen.Before(clock.Now().Add(-time.Minute)) {
		t.Errorf("last seen %v, want about now (%v)", a.LastSeen, clock.Now())
	}
}

// TestPusherKillReceiver kills -9 the receiver process under load and starts
// it again on the same TSDB: no acknowledged sample is lost (TSDB WAL), the
// rest is replayed, nothing is stored twice.
func TestPusherKillReceiver(t *testing.T) {
	t.Parallel()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dbDir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", rwtestutil.FreePort(t))
	start := func() *exec.Cmd {
		cmd := exec.Command(self, "-test.run=^$")
		cmd.Env = append(os.Environ(), receiverEnv+"="+dbDir+" "+addr)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		rwtestutil.WaitHTTP(t, "http://"+addr+"/ready", 30*time.Second)
		return cmd
	}
	kill := func(cmd *exec.Cmd) {
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
	}

	buf := openBuf(t, t.TempDir(), Options{})
	g := &seqGatherer{stampMs: time.Now().UnixMilli()}
	p, err := NewPusher(PusherOptions{
		Gatherer: g, Buffer: buf, Logger: quiet(), Agent: AgentInfo{Hostname: "web1"},
		URL: "http://" + addr + "/api/v1/write", ExternalLabels: map[string]string{"agent": "web1"},
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, BatchRecords: 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { p.sendLoop(ctx) })
	var collecting atomic.Bool
	collecting.Store(true)
	wg.Go(func() { // gather continuously
		for collecting.Load() && ctx.Err() == nil {
			if err := p.Collect(ctx); err != nil && !errors.Is(err, context.Canceled) {
				t.Error(err)
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	})

	cmd := start()
	waitFor(t, "200 acknowledged records", nil, 0, func() bool { return buf.Acked() >= 200 })
	kill(cmd)
	ackedAtKill := buf.Acked()
	waitFor(t, "records buffered while down", nil, 0, func() bool { return buf.LastSeq() > ackedAtKill+100 })
	cmd = start()
	waitFor(t, "400 more acknowledged", nil, 0, func() bool { return buf.Acked() >= ackedAtKill+400 })
	kill(cmd) // a second crash, then a clean drain
	cmd = start()
	collecting.Store(false)
	waitFor(t, "the buffer to drain", nil, 0, func() bool { return buf.Pending() == 0 && !collecting.Load() })
	cancel()
	wg.Wait()
	kill(cmd)

	db, err := tsdb.Open(dbDir, nil, nil, tsdb.DefaultOptions(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := int(buf.LastSeq())
	if int64(n) != g.n.Load() {
		t.Fatalf("%d records for %d gathers", n, g.n.Load())
	}
	t.Logf("%d gathers; %d acknowledged at the first kill", n, ackedAtKill)
	checkAllOnce(t, db, n)
}

// TestPusherAnswers: 5xx and 429 are retried with the same body, other 4xx
// drop the batch, 2xx acknowledges; every request carries the v1 headers.
func TestPusherAnswers(t *testing.T) {
	t.Parallel()
	var (
		mu      sync.Mutex
		answers = []int{503, 429, 204, 400, 204}
		bodies  []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Encoding") != "snappy" || r.Header.Get("Content-Type") != "application/x-protobuf" ||
			r.Header.Get("X-Prometheus-Remote-Write-Version") != "0.1.0" || r.Header.Get(AgentHeader) != "web1" {
			t.Errorf("headers %v", r.Header)
		}
		b, _ := io.ReadAll(r.Body)
		raw, err := snappy.Decode(nil, b)
		if err != nil {
			t.Error(err)
		}
		var req prompb.WriteRequest
		if err := req.Unmarshal(raw); err != nil {
			t.Error(err)
		}
		var vals []string
		for _, ts := range req.Timeseries {
			if ts.Labels[0].Value == "test_seq" {
				vals = append(vals, fmt.Sprint(ts.Samples[0].Value))
			}
		}
		mu.Lock()
		defer mu.Unlock()
		bodies = append(bodies, strings.Join(vals, ","))
		w.WriteHeader(answers[0])
		answers = answers[1:]
	}))
	defer srv.Close()

	clock := clockwork.NewFakeClock()
	buf := openBuf(t, t.TempDir(), Options{})
	p, err := NewPusher(PusherOptions{Gatherer: &seqGatherer{}, Buffer: buf, URL: srv.URL, Clock: clock, Logger: quiet(),
		Agent: AgentInfo{Hostname: "web1"}, BatchRecords: 2, MinBackoff: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if err := p.Collect(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { p.sendLoop(ctx) })
	waitFor(t, "the buffer to drain", clock, time.Second, func() bool { return buf.Pending() == 0 })
	cancel()
	wg.Wait()
	want := "1,2|1,2|1,2|3,4"
	if got := strings.Join(bodies, "|"); got != want {
		t.Errorf("bodies sent %q, want %q", got, want)
	}
	if got := testutil.ToFloat64(p.droppedRecords.WithLabelValues("http_400")); got != 2 {
		t.Errorf("dropped %v records, want 2", got)
	}
	if got := testutil.ToFloat64(p.failures.WithLabelValues("503")) + testutil.ToFloat64(p.failures.WithLabelValues("429")); got != 2 {
		t.Errorf("retried failures %v, want 2", got)
	}
}

// TestPusherRun drives Run on the fake clock: one gather at start and one per
// interval.
func TestPusherRun(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClock()
	buf := openBuf(t, t.TempDir(), Options{})
	g := &seqGatherer{}
	p, err := NewPusher(PusherOptions{Gatherer: g, Buffer: buf, URL: "http://127.0.0.1:1/none", Clock: clock,
		Logger: quiet(), Interval: 15 * time.Second, MinBackoff: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	for i := 1; i <= 4; i++ {
		waitFor(t, fmt.Sprintf("gather %d", i), nil, 0, func() bool { return buf.LastSeq() == uint64(i) })
		if err := clock.BlockUntilContext(ctx, 2); err != nil { // the ticker and the sender's backoff
			t.Fatal(err)
		}
		clock.Advance(15 * time.Second)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if g.n.Load() < 4 {
		t.Errorf("gathered %d times", g.n.Load())
	}
}

func TestToWriteRequest(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c_total", Help: "h"}, []string{"k"})
	c.WithLabelValues("v").Add(3)
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "h_seconds", Help: "h", Buckets: []float64{0.5, 1}})
	h.Observe(0.7)
	s := prometheus.NewSummary(prometheus.SummaryOpts{Name: "s", Help: "h", Objectives: map[float64]float64{0.5: 0.05}})
	s.Observe(2)
	reg.MustRegister(c, h, s)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	req := ToWriteRequest(mfs, 1000, []Label{{Name: "agent", Value: "web1"}, {Name: "k", Value: "ignored"}}, nil)
	var got []string
	for _, ts := range req.Timeseries {
		var l []string
		for _, lb := range ts.Labels {
			l = append(l, lb.Name+"="+lb.Value)
		}
		got = append(got, fmt.Sprintf("%s %v@%d", strings.Join(l, ","), ts.Samples[0].Value, ts.Samples[0].Timestamp))
	}
	// agent is added everywhere; k only where the metric lacks it.
	want := []string{
		"__name__=c_total,agent=web1,k=v 3@1000",
		"__name__=h_seconds_bucket,agent=web1,k=ignored,le=0.5 0@1000",
		"__name__=h_seconds_bucket,agent=web1,k=ignored,le=1 1@1000",
		"__name__=h_seconds_bucket,agent=web1,k=ignored,le=+Inf 1@1000",
		"__name__=h_seconds_sum,agent=web1,k=ignored 0.7@1000",
		"__name__=h_seconds_count,agent=web1,k=ignored 1@1000",
		"__name__=s,agent=web1,k=ignored,quantile=0.5 2@1000",
		"__name__=s_sum,agent=web1,k=ignored 2@1000",
		"__name__=s_count,agent=web1,k=ignored 1@1000",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestPusherReregisters: the registration is repeated every RegisterInterval
// with the description AgentFunc gives at that time; a refused one (400) is
// not retried until the next interval.
func TestPusherReregisters(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClock()
	var (
		mu     sync.Mutex
		bodies []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		n := len(bodies)
		mu.Unlock()
		if n == 2 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	var calls atomic.Int32
	p, err := NewPusher(PusherOptions{
		Gatherer: &seqGatherer{}, Buffer: openBuf(t, t.TempDir(), Options{}), URL: srv.URL + "/api/v1/write",
		RegisterURL: srv.URL + "/api/v1/agents/register", RegisterInterval: time.Hour,
		Agent: AgentInfo{Hostname: "web1"},
		AgentFunc: func(context.Context) AgentInfo {
			return AgentInfo{Hostname: "web1", IPs: []string{fmt.Sprintf("10.0.0.%d", calls.Add(1))}}
		},
		Clock: clock, Logger: quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.register(ctx); close(done) }()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(bodies) }
	for i := 1; i <= 3; i++ {
		waitFor(t, fmt.Sprintf("registration %d", i), nil, 0, func() bool { return count() == i })
		if err := clock.BlockUntilContext(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if i < 3 {
			clock.Advance(time.Hour)
		}
	}
	cancel()
	<-done
	want := []string{`{"hostname":"web1","ips":["10.0.0.1"]}`, `{"hostname":"web1","ips":["10.0.0.2"]}`, `{"hostname":"web1","ips":["10.0.0.3"]}`}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(bodies, "\n") != strings.Join(want, "\n") {
		t.Errorf("registrations\n%s\nwant\n%s", strings.Join(bodies, "\n"), strings.Join(want, "\n"))
	}
	if got := testutil.ToFloat64(p.registrations); got != 2 {
		t.Errorf("accepted registrations %v, want 2 (the second was refused)", got)
	}
}

// TestTargetLabels: target labels win over exposed ones, and the exposed value
// is kept under exported_<name>, as a Prometheus scrape with honor_labels:
// false stores it.
func TestTargetLabels(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		exposed, want string
		target        []Label
	}{
		{"no clash", "k=v", "__name__=m,device=srv-01,k=v", []Label{{Name: "device", Value: "srv-01"}}},
		{"clash", "device=eth0", "__name__=m,device=srv-01,exported_device=eth0", []Label{{Name: "device", Value: "srv-01"}}},
		{"clash, same value", "device=srv-01", "__name__=m,device=srv-01,exported_device=srv-01", []Label{{Name: "device", Value: "srv-01"}}},
		{"exported taken", "device=eth0,exported_device=x", "__name__=m,device=srv-01,exported_device=x,exported_exported_device=eth0", []Label{{Name: "device", Value: "srv-01"}}},
		{"empty target value", "device=eth0", "__name__=m,device=eth0", []Label{{Name: "device", Value: ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var lps []*dto.LabelPair
			for _, kv := range strings.Split(tc.exposed, ",") {
				k, v, _ := strings.Cut(kv, "=")
				lps = append(lps, &dto.LabelPair{Name: &k, Value: &v})
			}
			name, typ, val := "m", dto.MetricType_GAUGE, 1.0
			mfs := []*dto.MetricFamily{{Name: &name, Type: &typ, Metric: []*dto.Metric{{Label: lps, Gauge: &dto.Gauge{Value: &val}}}}}
			req := ToWriteRequest(mfs, 1, nil, tc.target)
			var got []string
			for _, l := range req.Timeseries[0].Labels {
				got = append(got, l.Name+"="+l.Value)
			}
			if g := strings.Join(got, ","); g != tc.want {
				t.Errorf("labels %s, want %s", g, tc.want)
			}
		})
	}
}
