package collector

import (
	"log/slog"

	"github.com/jonboulle/clockwork"
)

func clockworkReal() clockwork.Clock { return clockwork.NewRealClock() }

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
