//go:build !linux

package agent

import (
	"context"
	"strings"

	"github.com/shirou/gopsutil/v4/process"
)

// processSource enumerates processes through gopsutil.
type processSource struct {
	d      processDescs
	rules  []WatchRule
	m      *watchMatcher
	totals []watchTotals
}

func newProcessSource(env sourceEnv) (source, error) {
	return &processSource{d: newProcessDescs(), rules: env.cfg.Watch, m: newWatchMatcher(env.cfg.Watch),
		totals: make([]watchTotals, len(env.cfg.Watch))}, nil
}

func (s *processSource) update(ctx context.Context, out *sink) error {
	clear(s.totals)
	if len(s.rules) == 0 {
		pids, err := process.PidsWithContext(ctx)
		if err != nil {
			return err
		}
		s.d.emit(out, float64(len(pids)), nil, nil)
		return nil
	}
	procs, err := process.ProcessesWithContext(ctx)
	if err != nil {
		return err
	}
	for _, p := range procs {
		name, err := p.NameWithContext(ctx)
		if err != nil {
			continue
		}
		cmdline := func() string {
			c, _ := p.CmdlineWithContext(ctx)
			return strings.TrimSpace(c)
		}
		s.m.match(procCandidate{name: name, cmdline: cmdline}, func(i int) {
			var cpu, rss, start float64
			if t, err := p.TimesWithContext(ctx); err == nil {
				cpu = t.User + t.System
			}
			if mi, err := p.MemoryInfoWithContext(ctx); err == nil {
				rss = float64(mi.RSS)
			}
			if ct, err := p.CreateTimeWithContext(ctx); err == nil {
				start = float64(ct) / 1000
			}
			s.totals[i].add(cpu, rss, start)
		})
	}
	s.d.emit(out, float64(len(procs)), s.rules, s.totals)
	return nil
}
