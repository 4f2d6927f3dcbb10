package remotewrite

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// TestRunBatchesDrainsAtShutdown: a partial batch still held when the context
// ends is sent once more within Drain; without Drain it is left behind.
func TestRunBatchesDrainsAtShutdown(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		drain time.Duration
		want  int
	}{{"drain", time.Minute, 7}, {"no drain", 0, 0}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ch := make(chan int, 10)
			for i := range 7 {
				ch <- i
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var sent []int
			done := make(chan error)
			go func() {
				// Size 10 and a flush on a fake clock that never moves: nothing
				// is sent before shutdown.
				done <- RunBatches(ctx, ch, BatchOptions{Size: 10, Flush: time.Hour, Clock: clockwork.NewFakeClock(),
					MinBackoff: time.Second, MaxBackoff: time.Second, Drain: c.drain},
					func(_ context.Context, b []int) (bool, error) { sent = append(sent, b...); return false, nil },
					func([]int, error, bool) {})
			}()
			for len(ch) > 0 {
				time.Sleep(time.Millisecond) // until RunBatches holds all 7 in its batch
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if len(sent) != c.want {
				t.Fatalf("sent %v, want %d items", sent, c.want)
			}
			for i, v := range sent {
				if v != i {
					t.Fatalf("sent %v, want 0..%d in order", sent, c.want-1)
				}
			}
		})
	}
}
