package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
)

// processSource counts /proc's PID directories and reads /proc/PID/stat (and
// cmdline only when a rule needs it) for the watch list: no per-process
// objects, unlike gopsutil's process.Processes.
type processSource struct {
	d        processDescs
	rules    []WatchRule
	m        *watchMatcher
	proc     string
	pageSize float64
	btime    float64

	r      fileReader
	pid    fileReader
	cmd    fileReader
	f      []string
	totals []watchTotals
}

func newProcessSource(env sourceEnv) (source, error) {
	s := &processSource{
		d:        newProcessDescs(),
		rules:    env.cfg.Watch,
		m:        newWatchMatcher(env.cfg.Watch),
		proc:     filepath.Join(env.root, "/proc"),
		pageSize: float64(os.Getpagesize()),
		totals:   make([]watchTotals, len(env.cfg.Watch)),
		pid:      fileReader{single: true},
		cmd:      fileReader{single: true},
	}
	if len(s.rules) > 0 {
		// Boot time turns start ticks into a timestamp; it does not change.
		data, err := s.r.read(filepath.Join(s.proc, "stat"))
		if err != nil {
			return nil, err
		}
		var st procStat
		if err := parseStat(string(data), &st); err != nil {
			return nil, err
		}
		s.btime = st.btime
	}
	return s, nil
}

func (s *processSource) update(_ context.Context, out *sink) error {
	dir, err := os.Open(s.proc)
	if err != nil {
		return err
	}
	names, err := dir.Readdirnames(-1)
	dir.Close()
	if err != nil {
		return err
	}
	clear(s.totals)
	total := 0
	for _, name := range names {
		if !isPID(name) {
			continue
		}
		total++
		if len(s.rules) > 0 {
			s.watch(name)
		}
	}
	s.d.emit(out, float64(total), s.rules, s.totals)
	return nil
}

// watch matches one PID against the rules; a process that exits meanwhile is
// simply not counted.
func (s *processSource) watch(pid string) {
	data, err := s.pid.read(s.proc + "/" + pid + "/stat")
	if err != nil {
		return
	}
	var st pidStat
	st, s.f, err = parsePidStat(string(data), s.f)
	if err != nil {
		return
	}
	s.m.match(procCandidate{name: st.comm, cmdline: func() string { return s.cmdline(pid) }}, func(i int) {
		s.totals[i].add((st.utime+st.stime)/userHZ, st.rssPages*s.pageSize, s.btime+st.startTime/userHZ)
	})
}

// cmdline returns /proc/PID/cmdline with NULs turned into spaces.
func (s *processSource) cmdline(pid string) string {
	data, err := s.cmd.read(s.proc + "/" + pid + "/cmdline")
	if err != nil {
		return ""
	}
	return strings.TrimRight(strings.ReplaceAll(string(data), "\x00", " "), " ")
}
