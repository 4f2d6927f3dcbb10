package pushbuf

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestPusherAnswersByReason: a 400 refusing samples as stamped in the
// collector's future keeps the batch and retries it (this agent's clock is
// ahead; the clocks may agree again) until FutureHold has passed, then drops it
// counted under that reason; any other 400 drops at once, counted under the
// collector's reason.
func TestPusherAnswersByReason(t *testing.T) {
	t.Parallel()
	type reply struct {
		code     int
		rejected string
	}
	future := reply{400, "too_far_in_future=3,invalid_labels=1"}
	tests := []struct {
		name       string
		replies    []reply // then 204
		hold       time.Duration
		wantSends  int
		wantReason string // "" for none dropped
	}{
		{"future, then the clocks agree", []reply{future, future}, time.Hour, 3, ""},
		{"future for longer than the hold", []reply{future, future, future, future, future, future, future, future, future, future}, 5 * time.Second, 0, "too_far_in_future"},
		{"too old", []reply{{400, "too_old=2"}}, time.Hour, 1, "too_old"},
		{"no reason given", []reply{{400, ""}}, time.Hour, 1, "http_400"},
		{"413", []reply{{413, ""}}, time.Hour, 1, "http_413"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var (
				mu    sync.Mutex
				sends int
			)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				r := reply{204, ""}
				if sends < len(tc.replies) {
					r = tc.replies[sends]
				}
				sends++
				if r.rejected != "" {
					w.Header().Set(RejectedHeader, r.rejected)
				}
				w.WriteHeader(r.code)
			}))
			defer srv.Close()
			clock := clockwork.NewFakeClock()
			buf := openBuf(t, t.TempDir(), Options{Clock: clock})
			p, err := NewPusher(PusherOptions{Gatherer: &seqGatherer{}, Buffer: buf, URL: srv.URL, Clock: clock, Logger: quiet(),
				MinBackoff: time.Second, MaxBackoff: time.Second, FutureHold: tc.hold})
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Collect(context.Background()); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Go(func() { p.sendLoop(ctx) })
			waitFor(t, "the buffer to drain", clock, time.Second, func() bool { return buf.Pending() == 0 })
			cancel()
			wg.Wait()
			sent := testutil.ToFloat64(p.sentRecords)
			dropped := 0.0
			for _, r := range []string{"too_far_in_future", "too_old", "http_400", "http_413", "invalid_labels"} {
				n := testutil.ToFloat64(p.droppedRecords.WithLabelValues(r))
				dropped += n
				if r == tc.wantReason && n != 1 {
					t.Errorf("dropped{%s} = %v, want 1", r, n)
				}
			}
			if tc.wantReason == "" && (dropped != 0 || sent != 1 || sends != tc.wantSends) {
				t.Errorf("dropped %v, acknowledged %v after %d sends; want 0, 1 after %d", dropped, sent, sends, tc.wantSends)
			}
			if tc.wantReason != "" && (dropped != 1 || sent != 0) {
				t.Errorf("dropped %v, acknowledged %v; want 1 dropped", dropped, sent)
			}
		})
	}
}

func TestParseRejected(t *testing.T) {
	t.Parallel()
	got := parseRejected(" too_far_in_future=3, too_old=x,=2,invalid_labels=1,bad")
	if len(got) != 2 || got["too_far_in_future"] != 3 || got["invalid_labels"] != 1 {
		t.Errorf("parseRejected = %v", got)
	}
	if r := (answer{code: 400, rejected: got}).reason(); r != "too_far_in_future" {
		t.Errorf("reason = %q", r)
	}
}
