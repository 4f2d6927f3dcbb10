package api_test

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BenchmarkIngestHTTP posts Alertmanager webhooks (one alert each) from 32
// concurrent senders over loopback HTTP. It reports alerts/s and the latency
// from sending to the 2xx (which is sent only after the commit): p50, p99,
// max. Two mixes:
//
//   - half-repeats: every alert is sent twice in a row by its sender, as
//     Alertmanager resends firing alerts; the repeat is deduplicated (from
//     memory once the first copy is committed).
//   - unique: every alert opens a new ticket (the worst case for the store).
func BenchmarkIngestHTTP(b *testing.B) {
	for _, c := range []struct {
		name   string
		repeat int
	}{{"half-repeats", 2}, {"unique", 1}} {
		b.Run(c.name, func(b *testing.B) { benchIngest(b, c.repeat) })
	}
}

func benchIngest(b *testing.B, repeat int) {
	srv := startTB(b, false, false)
	s := srv.URL
	const senders, perSender = 32, 250
	total := senders * perSender
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	t0 := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for n := range b.N {
		lat := make([]time.Duration, total)
		var wg sync.WaitGroup
		cpu0 := cpuTime(b)
		begin := time.Now()
		for w := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perSender {
					k := w*perSender + i
					dev := fmt.Sprintf("cam%d-%05d", n, k/repeat)
					body := webhook("firing", dev, t0)
					st := time.Now()
					req, _ := http.NewRequest("POST", s+"/api/v1/alertmanager/webhook", strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+intakeTok)
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					// Drain before closing, as Alertmanager does, so the
					// connection is reused rather than redialled.
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
					lat[k] = time.Since(st)
				}
			}()
		}
		wg.Wait()
		el := time.Since(begin)
		cpu := cpuTime(b) - cpu0
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(float64(total)/el.Seconds(), "alerts/s")
		b.ReportMetric(float64(lat[total/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[total*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(lat[total-1].Microseconds())/1000, "max-ms")
		// CPU time of the whole process (server and senders) per alert: a
		// figure other jobs on the machine move less than the rate.
		b.ReportMetric(float64(cpu.Microseconds())/float64(total), "cpu-us/alert")
	}
	b.StopTimer()
	// Every distinct alert opened exactly one ticket (one audit record
	// each; repeats add none).
	n, err := srv.Store.AuditCount(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	if want := b.N * total / repeat; n != want {
		b.Errorf("%d audit records (tickets opened), want %d", n, want)
	}
}

// cpuTime returns the process's user+system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
