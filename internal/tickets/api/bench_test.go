package api_test

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkIngestHTTP posts Alertmanager webhooks (one alert each) from 32
// concurrent senders over loopback HTTP; half the deliveries are repeats, so
// deduplication is exercised. It reports alerts/s and the latency from sending
// to the 2xx (which is sent only after the commit): p50, p99, max.
func BenchmarkIngestHTTP(b *testing.B) {
	s := startB(b)
	const senders, perSender = 32, 250
	total := senders * perSender
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	t0 := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for range b.N {
		lat := make([]time.Duration, total)
		var wg sync.WaitGroup
		begin := time.Now()
		for w := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perSender {
					k := w*perSender + i
					dev := fmt.Sprintf("cam%05d", k/2) // every alert twice
					body := webhook("firing", dev, t0)
					st := time.Now()
					req, _ := http.NewRequest("POST", s+"/api/v1/alertmanager/webhook", strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+intakeTok)
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
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
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(float64(total)/el.Seconds(), "alerts/s")
		b.ReportMetric(float64(lat[total/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[total*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(lat[total-1].Microseconds())/1000, "max-ms")
	}
}
