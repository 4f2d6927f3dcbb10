package collector

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

// TestKill9KeepsAcknowledgedSamples: writers push numbered samples to the real
// binary by remote write; the collector is killed with SIGKILL mid-load and
// restarted on the same data directory. Every sample whose request got a 2xx
// must be queryable afterwards (the TSDB's WAL), and none stored twice.
func TestKill9KeepsAcknowledgedSamples(t *testing.T) {
	t.Parallel()
	bin := buildCollector(t)
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "rules: {files: []}\nscrape: []\ntickets: {enabled: false}\n")
	data := filepath.Join(dir, "data")
	start := func() (*proc, string) {
		addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
		p := startBinary(t, bin, dir, "--config", cfgPath, "--data-dir", data, "--web.listen-address", addr)
		base := "http://" + addr
		testutil.WaitHTTP(t, base+"/-/ready", 30*time.Second)
		return p, base
	}
	p, base := start()

	const (
		writers   = 4
		perReq    = 100
		killAfter = 200 // acknowledged requests in all before the kill
	)
	t0 := time.Now().Add(-30 * time.Minute).Truncate(time.Second).UnixMilli()
	acked := make([][]int, writers) // per writer, the first sequence number of each acknowledged request
	var total atomic.Int64
	killed := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 0; ; seq += perReq {
				ts := prompb.TimeSeries{Labels: []prompb.Label{{Name: "__name__", Value: "crash_test_seq"}, {Name: "writer", Value: strconv.Itoa(w)}}}
				for i := range perReq {
					ts.Samples = append(ts.Samples, prompb.Sample{Timestamp: t0 + int64(seq+i), Value: float64(seq + i)})
				}
				raw, err := (&prompb.WriteRequest{Timeseries: []prompb.TimeSeries{ts}}).Marshal()
				if err != nil {
					t.Error(err)
					return
				}
				req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/write", bytes.NewReader(snappy.Encode(nil, raw)))
				req.Header.Set("Content-Type", "application/x-protobuf")
				req.Header.Set("Content-Encoding", "snappy")
				req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
				resp, err := client.Do(req)
				if err != nil {
					return // the collector is gone: this request is not acknowledged
				}
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					select {
					case <-killed:
					default:
						t.Errorf("writer %d seq %d: HTTP %d before the kill", w, seq, resp.StatusCode)
					}
					return
				}
				acked[w] = append(acked[w], seq)
				total.Add(1)
			}
		}()
	}
	stopped := make(chan struct{})
	go func() { wg.Wait(); close(stopped) }()
	for total.Load() < killAfter {
		select {
		case <-stopped:
			t.Fatalf("the writers stopped after %d requests, before the kill", total.Load())
		case <-time.After(time.Millisecond): // let the load build up; the kill lands mid-request
		}
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	close(killed)
	_ = p.cmd.Wait()
	<-stopped

	_, base = start()
	var nAcked int
	for w := range writers {
		got := storedSeq(t, base, w, t0)
		seen := map[int]int{}
		for _, v := range got {
			seen[v]++
		}
		for v, n := range seen {
			if n > 1 {
				t.Errorf("writer %d: sample %d stored %d times", w, v, n)
			}
		}
		missing := 0
		for _, seq := range acked[w] {
			for i := range perReq {
				if seen[seq+i] == 0 {
					missing++
				}
			}
		}
		nAcked += len(acked[w]) * perReq
		if missing > 0 {
			t.Errorf("writer %d: %d acknowledged samples missing after kill -9 (acknowledged %d, stored %d)", w, missing, len(acked[w])*perReq, len(got))
		}
	}
	t.Logf("%d acknowledged samples in %d requests before SIGKILL; all checked after restart", nAcked, nAcked/perReq)
}

// storedSeq returns the values of writer w's series, read back through the
// query API as a range selector covering every timestamp pushed.
func storedSeq(t *testing.T, base string, w int, t0 int64) []int {
	t.Helper()
	at := float64(t0)/1000 + 600
	q := url.Values{"query": {fmt.Sprintf(`crash_test_seq{writer="%d"}[11m]`, w)}, "time": {strconv.FormatFloat(at, 'f', 3, 64)}}
	code, body := get(t, base+"/api/v1/query?"+q.Encode())
	if code != http.StatusOK {
		t.Fatalf("query: HTTP %d: %s", code, body)
	}
	var r struct {
		Data struct {
			Result []struct {
				Values [][2]any `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, s := range r.Data.Result {
		for _, v := range s.Values {
			str, _ := v[1].(string)
			n, err := strconv.Atoi(str)
			if err != nil {
				t.Fatalf("value %v: %v", v[1], err)
			}
			out = append(out, n)
		}
	}
	return out
}
