// Command rwbench measures remote-write ingest throughput. "rwbench serve"
// runs roomwatch's receiver over an embedded TSDB; "rwbench load" sends the
// same pre-built WriteRequests to any receiver with concurrent senders and
// prints samples per second. deploy/dev/bench-ingest.sh compares the two
// against Prometheus 2.42.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
	"github.com/prometheus/prometheus/tsdb"

	"github.com/roomwatch/roomwatch/internal/remotewrite"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: rwbench serve|load [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "load":
		err = load(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rwbench:", err)
		os.Exit(1)
	}
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	dir := fs.String("dir", "", "TSDB directory")
	addr := fs.String("addr", "127.0.0.1:19201", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := tsdb.Open(*dir, nil, nil, tsdb.DefaultOptions(), nil)
	if err != nil {
		return err
	}
	defer db.Close()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	mux := http.NewServeMux()
	mux.Handle("/api/v1/write", remotewrite.NewHandler(db, remotewrite.HandlerOptions{Logger: logger}))
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	return http.ListenAndServe(*addr, mux)
}

func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	url := fs.String("url", "", "remote-write URL")
	senders := fs.Int("senders", 4, "concurrent senders, each with its own series")
	requests := fs.Int("requests", 250, "requests per sender")
	series := fs.Int("series", 2000, "series per request (one sample each)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// Pre-build every body: sender s, request r holds one sample for each of
	// its series at start + r*15s, like successive agent pushes.
	start := time.Now().Add(-2 * time.Hour).Truncate(time.Minute).UnixMilli()
	bodies := make([][][]byte, *senders)
	for s := range bodies {
		for r := range *requests {
			req := prompb.WriteRequest{Timeseries: make([]prompb.TimeSeries, 0, *series)}
			for i := range *series {
				req.Timeseries = append(req.Timeseries, prompb.TimeSeries{
					Labels: []prompb.Label{
						{Name: "__name__", Value: fmt.Sprintf("bench_metric_%d", i%50)},
						{Name: "agent", Value: fmt.Sprintf("host-%d-%d", s, i/50)},
						{Name: "site", Value: "bench"},
					},
					Samples: []prompb.Sample{{Timestamp: start + int64(r)*15000, Value: float64(r*i) / 7}},
				})
			}
			raw, err := req.Marshal()
			if err != nil {
				return err
			}
			bodies[s] = append(bodies[s], snappy.Encode(nil, raw))
		}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *senders}}
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, *senders)
	t0 := time.Now()
	for s := range *senders {
		wg.Go(func() {
			for _, b := range bodies[s] {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, *url, bytes.NewReader(b))
				req.Header.Set("Content-Type", "application/x-protobuf")
				req.Header.Set("Content-Encoding", "snappy")
				req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				msg, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					errs <- fmt.Errorf("%s: %s", resp.Status, msg)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(t0)
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	total := *senders * *requests * *series
	fmt.Printf("%d %.3f %.0f\n", total, elapsed.Seconds(), float64(total)/elapsed.Seconds())
	return nil
}
