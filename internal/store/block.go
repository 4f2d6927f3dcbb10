package store

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
)

// WriteBlock writes one persistent TSDB block into dir, covering steps
// moments from start, interval apart: appendStep appends every sample of one
// moment. The appender is committed every 60 moments so a block of thousands
// of series stays in bounded memory. The benchmark generators use it to build
// a month of data without replaying it through the head.
func WriteBlock(ctx context.Context, dir string, start time.Time, steps int, interval time.Duration,
	appendStep func(app storage.Appender, t time.Time) error,
) error {
	w, err := tsdb.NewBlockWriter(slog.New(slog.DiscardHandler), dir, (time.Duration(steps) * interval).Milliseconds())
	if err != nil {
		return fmt.Errorf("block writer: %w", err)
	}
	defer w.Close()
	app := w.Appender(ctx)
	for k := range steps {
		if err := appendStep(app, start.Add(time.Duration(k)*interval)); err != nil {
			return err
		}
		if k%60 == 59 {
			if err := app.Commit(); err != nil {
				return err
			}
			app = w.Appender(ctx)
		}
	}
	if err := app.Commit(); err != nil {
		return err
	}
	if _, err := w.Flush(ctx); err != nil {
		return fmt.Errorf("flush block: %w", err)
	}
	return nil
}
