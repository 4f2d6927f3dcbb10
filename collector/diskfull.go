package collector

import (
	"context"
	"time"
)

// A failed TSDB write (a full disk) makes the store refuse appends (remote
// write answers 503, so agents keep buffering) and /-/ready answer 503 with
// the reason, until recoverStorage has reopened the TSDB (internal/store,
// health.go, says why a reopen is needed).

// recoverMinFree is the free space the data directory needs before the TSDB
// is reopened after a failed write.
const recoverMinFree = 8 << 20

// recoverEvery is how often an unhealthy store is checked for space.
const recoverEvery = 2 * time.Second

// recoverStorage reopens the TSDB once space is back (a part of Run).
func (s *Server) recoverStorage(ctx context.Context) error {
	t := s.opts.Clock.NewTicker(recoverEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.Chan():
		}
		if s.store.Health() == nil {
			continue
		}
		if err := s.store.Recover(ctx, recoverMinFree); err != nil {
			s.log.Debug("TSDB not reopened yet", "err", err)
		}
	}
}
