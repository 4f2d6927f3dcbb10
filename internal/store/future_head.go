package store

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/tsdb"
)

// minRecoveryWindow is the out-of-order margin kept behind the clock while a
// head that is in the future is recovered, when storage.out_of_order_window
// is 0: samples arriving a little late (a slow scrape, a retried push) still land.
const minRecoveryWindow = time.Hour

// recoverFutureHead handles a data directory whose head was moved into the
// future by a sample stamped ahead of the clock (written before the
// FutureGuard existed, or by a wrong system clock). Nothing is deleted: the
// out-of-order window is widened so that samples from the clock's present are
// accepted again (they are stored as out-of-order samples until the clock
// passes the head), and the situation is logged. It returns how far the head
// is ahead (0 when it is not).
func recoverFutureHead(db *tsdb.DB, now time.Time, maxAhead, window time.Duration, log *slog.Logger) (time.Duration, error) {
	head := db.Head()
	if head.NumSeries() == 0 {
		return 0, nil
	}
	headMax := time.UnixMilli(head.MaxTime())
	ahead := headMax.Sub(now)
	if ahead <= maxAhead {
		return 0, nil
	}
	widened := ahead + max(window, minRecoveryWindow)
	conf := &config.Config{StorageConfig: config.StorageConfig{TSDBConfig: &config.TSDBConfig{
		OutOfOrderTimeWindow: widened.Milliseconds(),
	}}}
	if err := db.ApplyConfig(conf); err != nil {
		return ahead, fmt.Errorf("store: widen the out-of-order window to recover a head %v in the future: %w", ahead, err)
	}
	log.Warn("the TSDB head is in the future: a sample stamped ahead of the clock was stored before; "+
		"samples of the present are accepted as out-of-order samples until the clock passes it (nothing was deleted)",
		"head_max_time", headMax.UTC().Format(time.RFC3339), "clock", now.UTC().Format(time.RFC3339),
		"ahead", ahead.Round(time.Second).String(), "out_of_order_window", widened.Round(time.Second).String(),
		"find_it", fmt.Sprintf("timestamp(({__name__=~\".+\"} @ %d)) > time()", headMax.Unix()))
	return ahead, nil
}
