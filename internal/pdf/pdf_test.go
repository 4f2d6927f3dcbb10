package pdf

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

// pdfText returns the text of a PDF (pdftotext), skipping without it.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin := testutil.LookBinary(t, "pdftotext")
	f := filepath.Join(t.TempDir(), "out.pdf")
	if err := writeFile(f, pdf); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

func chromiumPrinter(t *testing.T, o Options) *Printer {
	t.Helper()
	o.Chromium = testutil.LookBinary(t, "chromium")
	o.TempDir = t.TempDir()
	p := New(o)
	if err := p.Available(); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrintChinese(t *testing.T) {
	p := chromiumPrinter(t, Options{})
	html := `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>@page{size:A4;margin:12mm}
body{font-family:"WenQuanYi Zen Hei",sans-serif}</style></head><body><h1>故障处理报告</h1><p>&lt;script&gt; {{x}}</p></body></html>`
	out, err := p.Print(context.Background(), []byte(html))
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, out)
	for _, w := range []string{"故障处理报告", "<script>", "{{x}}"} {
		if !strings.Contains(text, w) {
			t.Errorf("PDF text lacks %q:\n%s", w, text)
		}
	}
}

func TestUnavailable(t *testing.T) {
	p := New(Options{Chromium: filepath.Join(t.TempDir(), "no-chromium")})
	if err := p.Available(); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Available: %v, want ErrUnavailable", err)
	}
	_, err := p.Print(context.Background(), []byte("<p>x</p>"))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Print: %v, want ErrUnavailable", err)
	}
	if code, retry := HTTPStatus(err); code != http.StatusServiceUnavailable || retry != 0 {
		t.Errorf("HTTPStatus = %d, retry %d; want 503 and no retry", code, retry)
	}
	var nilPrinter *Printer
	if err := nilPrinter.Available(); !errors.Is(err, ErrUnavailable) {
		t.Errorf("nil printer: %v", err)
	}
	rec := httptest.NewRecorder()
	called := false
	err = p.Write(rec, httptest.NewRequest("GET", "/x", nil), "x", func(*bytes.Buffer) error { called = true; return nil })
	if !errors.Is(err, ErrUnavailable) || called || rec.Body.Len() != 0 {
		t.Errorf("Write without chromium: err %v, rendered %v, wrote %d bytes", err, called, rec.Body.Len())
	}
}

// slowPage keeps Chromium busy loading it (a script that spins for 20 s).
const slowPage = `<!DOCTYPE html><html><body><p>slow</p><script>const end = Date.now() + 20000; while (Date.now() < end) {}</script></body></html>`

// TestQueueBound: with one document printing and the queue full, the next
// is refused at once with ErrBusy (503), not queued; cancelling the one
// printing stops its browser promptly.
func TestQueueBound(t *testing.T) {
	p := chromiumPrinter(t, Options{Queue: 1, Timeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 2)
	go func() { _, err := p.Print(ctx, []byte(slowPage)); done <- err }()
	waitFor(t, func() bool { return len(p.run) == 1 })
	go func() { _, err := p.Print(ctx, []byte(slowPage)); done <- err }()
	waitFor(t, func() bool { return len(p.slots) == 2 })

	start := time.Now()
	_, err := p.Print(context.Background(), []byte("<p>third</p>"))
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("third document while one prints and one waits: %v, want ErrBusy", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("refusing took %v: it must not wait", took)
	}
	if code, retry := HTTPStatus(err); code != http.StatusServiceUnavailable || retry == 0 {
		t.Errorf("HTTPStatus(ErrBusy) = %d, retry %d", code, retry)
	}
	rec := httptest.NewRecorder()
	SetRetryAfter(rec, err)
	if rec.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After for ErrBusy")
	}

	cancel()
	start = time.Now()
	for range 2 {
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled print: %v, want context.Canceled", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("a cancelled print did not return within 15 s")
		}
	}
	t.Logf("both cancelled prints returned in %v", time.Since(start))
	if len(p.slots) != 0 || len(p.run) != 0 {
		t.Errorf("slots %d, run %d after all returned", len(p.slots), len(p.run))
	}
}

func TestTimeout(t *testing.T) {
	p := chromiumPrinter(t, Options{Timeout: 2 * time.Second})
	start := time.Now()
	_, err := p.Print(context.Background(), []byte(slowPage))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow page: %v, want DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("timed-out print took %v", took)
	}
	if code, _ := HTTPStatus(err); code != http.StatusServiceUnavailable {
		t.Errorf("HTTPStatus(timeout) = %d", code)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func writeFile(name string, b []byte) error { return os.WriteFile(name, b, 0o600) }
