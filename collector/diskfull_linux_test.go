package collector

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

// writeBatch remote-writes n samples of the series fill_test{batch=b},
// one a second ending at end, and returns the status code.
func writeBatch(t *testing.T, base string, b, n int, end time.Time) int {
	t.Helper()
	ts := prompb.TimeSeries{Labels: []prompb.Label{{Name: "__name__", Value: "fill_test"}, {Name: "batch", Value: strconv.Itoa(b)},
		{Name: "pad", Value: fmt.Sprintf("%0200d", b)}}}
	for i := range n {
		ts.Samples = append(ts.Samples, prompb.Sample{Timestamp: end.Add(time.Duration(i-n) * time.Second).UnixMilli(), Value: float64(i)})
	}
	raw, err := (&prompb.WriteRequest{Timeseries: []prompb.TimeSeries{ts}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/write", bytes.NewReader(snappy.Encode(nil, raw)))
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "snappy")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// fill writes zeros to path until the disk is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
}

// TestBinaryFullDisk: on a small tmpfs the test mounts, writes during a full
// disk are answered 503 and /-/ready says why; after space is freed writes
// are taken again; after a clean restart every sample acknowledged with 2xx
// is there.
func TestBinaryFullDisk(t *testing.T) {
	bin := buildCollector(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o750); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", data).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (needs root and mount permission): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", data).Run() })
	cfgPath := writeConfig(t, dir, fmt.Sprintf("global: {data_dir: %q}\nrules: {files: []}\ntickets: {enabled: false}\nscrape: []\n", data))
	start := func() (*proc, string) {
		addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
		p := startBinary(t, bin, dir, "--config", cfgPath, "--web.listen-address", addr)
		base := "http://" + addr
		testutil.WaitHTTP(t, base+"/-/ready", 30*time.Second)
		return p, base
	}
	stop := func(p *proc) {
		t.Helper()
		if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		if err := p.cmd.Wait(); err != nil {
			t.Fatalf("exit after SIGINT: %v", err)
		}
	}
	p, base := start()
	end := time.Now()
	acked := map[int]bool{}
	batch := 0
	write := func() int {
		batch++
		code := writeBatch(t, base, batch, 1000, end)
		if code/100 == 2 {
			acked[batch] = true
		}
		return code
	}
	for range 5 {
		if code := write(); code != http.StatusNoContent {
			t.Fatalf("write before the disk is full: %d", code)
		}
	}
	filler := filepath.Join(data, "filler")
	fill(t, filler)
	got503 := false
	for range 200 {
		code := write()
		if code == http.StatusServiceUnavailable {
			got503 = true
			break
		}
		if code != http.StatusNoContent {
			t.Fatalf("write on a full disk: %d, want 204 (buffered in the WAL page) or 503", code)
		}
	}
	if !got503 {
		t.Fatal("no 503 after 200 writes on a full disk")
	}
	if code := write(); code != http.StatusServiceUnavailable {
		t.Errorf("second write on a full disk: %d, want 503", code)
	}
	code, body := get(t, base+"/-/ready")
	if code != http.StatusServiceUnavailable || !bytes.Contains([]byte(body), []byte("write-ahead log")) {
		t.Errorf("/-/ready on a full disk: %d %q", code, body)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, func() bool { c, _ := get(t, base+"/-/ready"); return c == http.StatusOK })
	for range 5 {
		if code := write(); code != http.StatusNoContent {
			t.Fatalf("write after space was freed: %d", code)
		}
	}
	stop(p)
	p, base = start()
	defer stop(p)
	q := url.Values{"query": {`count_over_time(fill_test[1h])`}, "time": {strconv.FormatInt(end.Unix(), 10)}}
	_, res := get(t, base+"/api/v1/query?"+q.Encode())
	for b := range acked {
		v := instantValueAt(t, base, fmt.Sprintf(`count_over_time(fill_test{batch="%d"}[1h])`, b), end)
		if v != 1000 {
			t.Errorf("batch %d, acknowledged: %v samples after the restart, want 1000", b, v)
		}
	}
	t.Logf("%d batches of 1000 samples acknowledged, %d written; after restart: %d bytes of answer", len(acked), batch, len(res))
	logText, _ := os.ReadFile(p.log)
	if bytes.Contains(logText, []byte("corruption")) {
		t.Logf("restart log mentions corruption (a torn record of a refused write was repaired):\n%s", logText)
	}
}
