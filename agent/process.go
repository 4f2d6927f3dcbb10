package agent

import (
	"path"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// processDescs are the process source's series; node_exporter has no
// equivalent, hence the roomwatch_ names.
type processDescs struct {
	total, up, count, cpu, rss, start *prometheus.Desc
}

func newProcessDescs() processDescs {
	return processDescs{
		total: desc("roomwatch_processes", "Number of processes on the host."),
		up:    desc("roomwatch_process_up", "1 if at least one process of the watch list entry runs, else 0.", "watch"),
		count: desc("roomwatch_process_count", "Number of running processes matching the watch list entry.", "watch"),
		cpu:   desc("roomwatch_process_cpu_seconds_total", "User and system CPU time of the matching processes, summed (resets when they restart).", "watch"),
		rss:   desc("roomwatch_process_resident_memory_bytes", "Resident memory of the matching processes, summed.", "watch"),
		start: desc("roomwatch_process_start_time_seconds", "Start time of the oldest matching process since the Unix epoch; absent while none runs.", "watch"),
	}
}

// watchTotals accumulates one watch list entry over a scrape.
type watchTotals struct {
	count, cpu, rss, oldest float64
}

// procCandidate is one process as the matcher sees it: the short name the OS
// reports, and the command line read only when a rule needs it.
type procCandidate struct {
	name    string
	cmdline func() string
}

// watchMatcher applies the watch list.
type watchMatcher struct {
	rules        []WatchRule
	needsCmdline bool
}

func newWatchMatcher(rules []WatchRule) *watchMatcher {
	m := &watchMatcher{rules: rules}
	for _, r := range rules {
		if r.Cmdline != nil || len(r.Process) >= linuxCommLen {
			m.needsCmdline = true
		}
	}
	return m
}

// linuxCommLen is the length Linux truncates a process name to in
// /proc/PID/stat (TASK_COMM_LEN - 1).
const linuxCommLen = 15

// match calls fn with the index of every rule the process satisfies.
func (m *watchMatcher) match(p procCandidate, fn func(i int)) {
	cmdline, haveCmdline := "", false
	getCmdline := func() string {
		if !haveCmdline {
			cmdline, haveCmdline = p.cmdline(), true
		}
		return cmdline
	}
	for i := range m.rules {
		r := &m.rules[i]
		if r.Cmdline != nil {
			if r.Cmdline.MatchString(getCmdline()) {
				fn(i)
			}
			continue
		}
		if nameMatches(r.Process, p.name, getCmdline) {
			fn(i)
		}
	}
}

// nameMatches compares a watch rule's process name with the name the OS
// reports: exact, or without a Windows ".exe", or (for names Linux truncates to
// 15 bytes) a truncated match confirmed by the executable in argv[0].
func nameMatches(want, name string, cmdline func() string) bool {
	if name == want {
		return true
	}
	if base, ok := cutSuffixFold(name, ".exe"); ok && base == want {
		return true
	}
	if len(want) > linuxCommLen && len(name) == linuxCommLen && strings.HasPrefix(want, name) {
		argv0, _, _ := strings.Cut(cmdline(), " ")
		return path.Base(argv0) == want
	}
	return false
}

func cutSuffixFold(s, suffix string) (string, bool) {
	if len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix) {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}

// emit writes the process count and every watch entry (up 0 / count 0 when
// nothing matched, so an alert on roomwatch_process_up == 0 fires).
func (d *processDescs) emit(out *sink, total float64, rules []WatchRule, totals []watchTotals) {
	out.gauge(d.total, total)
	for i, r := range rules {
		t := &totals[i]
		up := 0.0
		if t.count > 0 {
			up = 1
		}
		out.gauge(d.up, up, r.Name)
		out.gauge(d.count, t.count, r.Name)
		out.counter(d.cpu, t.cpu, r.Name)
		out.gauge(d.rss, t.rss, r.Name)
		if t.count > 0 {
			out.gauge(d.start, t.oldest, r.Name)
		}
	}
}

// add folds one matching process into t.
func (t *watchTotals) add(cpu, rss, start float64) {
	if t.count == 0 || start < t.oldest {
		t.oldest = start
	}
	t.count++
	t.cpu += cpu
	t.rss += rss
}
