package browsertest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/roomwatch/roomwatch/internal/console/browsertest"
)

// TestHarnessSeesProblems: the harness notices a console error, an uncaught
// exception, an alert, a 404 sub-resource and a refused connection.
func TestHarnessSeesProblems(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body><p id="p">hi</p>
<script>console.error("boom"); alert("pop");</script>
<script>throw new Error("bang")</script>
<img src="/missing.png"></body></html>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	b := browsertest.New(t, browsertest.Options{Timeout: 30 * time.Second})
	// Not b.Navigate: that would fail the test on the problems it is meant to see.
	if err := chromedp.Do(b.Ctx(), chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	var got []string
	want := []string{"console.error: boom", "JavaScript dialog opened", "bang", "HTTP 404 for " + srv.URL + "/missing.png"}
	for time.Now().Before(deadline) {
		got = append(got, b.Drain()...)
		all := strings.Join(got, "\n")
		missing := false
		for _, w := range want {
			if !strings.Contains(all, w) {
				missing = true
			}
		}
		if !missing {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	all := strings.Join(got, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("harness missed %q; it saw:\n%s", w, all)
		}
	}
	b.Drain()
	p := b.Screenshot("page")
	if st, err := os.Stat(p); err != nil || st.Size() < 100 {
		t.Errorf("screenshot %s: %v", p, err)
	}
	b.Drain()
}
