package agent

// Parsers for the Linux /proc and /sys files the agent reads itself instead of
// going through gopsutil, which allocates far more per scrape (see
// docs/benchmarks.md). They are plain functions over bytes so that the fixture
// tests under testdata/ run on every OS.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// userHZ is the unit of CPU times in /proc (sysconf(_SC_CLK_TCK), 100 on every
// Linux architecture the agent is built for).
const userHZ = 100

// fileReader reads small /proc and /sys files into one reused buffer.
type fileReader struct {
	buf []byte
	// single marks files the kernel returns whole in one read (per-process
	// files, not seq_file tables like /proc/net/dev that come a page at a time).
	single bool
}

// read returns the content of path, valid until the next call.
func (r *fileReader) read(path string) ([]byte, error) {
	if r.buf == nil {
		r.buf = make([]byte, 0, 16<<10)
	}
	return r.readPlatform(path)
}

// grow makes room for at least one more read.
func (r *fileReader) grow() {
	if len(r.buf) == cap(r.buf) {
		r.buf = append(r.buf, 0)[:len(r.buf)]
	}
}

// fields splits s on spaces and tabs into dst (reused), without allocating
// when dst has room.
func fields(s string, dst []string) []string {
	dst = dst[:0]
	start := -1
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' {
			if start >= 0 {
				dst = append(dst, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		dst = append(dst, s[start:])
	}
	return dst
}

// lines calls fn for each line of s.
func lines(s string, fn func(line string) error) error {
	for len(s) > 0 {
		line := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		if err := fn(line); err != nil {
			return err
		}
	}
	return nil
}

// cpuTimes is one cpuN line of /proc/stat, in seconds.
type cpuTimes struct {
	cpu                                                   string
	user, nice, system, idle, iowait, irq, softirq, steal float64
	guest, guestNice                                      float64
}

// procStat is /proc/stat.
type procStat struct {
	cpus                                       []cpuTimes
	intr, ctxt, btime, forks, running, blocked float64
}

// parseStat parses /proc/stat into st, reusing st.cpus.
func parseStat(data string, st *procStat) error {
	st.cpus = st.cpus[:0]
	var f []string
	sawCPU := false
	err := lines(data, func(line string) error {
		f = fields(line, f)
		if len(f) < 2 {
			return nil
		}
		key := f[0]
		switch {
		case strings.HasPrefix(key, "cpu") && key != "cpu":
			if len(f) < 5 {
				return fmt.Errorf("/proc/stat: short %s line", key)
			}
			var v [10]float64
			for i := 1; i < len(f) && i <= 10; i++ {
				n, err := strconv.ParseUint(f[i], 10, 64)
				if err != nil {
					return fmt.Errorf("/proc/stat: %s: %w", key, err)
				}
				v[i-1] = float64(n) / userHZ
			}
			sawCPU = true
			st.cpus = append(st.cpus, cpuTimes{cpu: key[3:], user: v[0], nice: v[1], system: v[2], idle: v[3],
				iowait: v[4], irq: v[5], softirq: v[6], steal: v[7], guest: v[8], guestNice: v[9]})
		case key == "intr":
			return parseFloatInto(f[1], &st.intr)
		case key == "ctxt":
			return parseFloatInto(f[1], &st.ctxt)
		case key == "btime":
			return parseFloatInto(f[1], &st.btime)
		case key == "processes":
			return parseFloatInto(f[1], &st.forks)
		case key == "procs_running":
			return parseFloatInto(f[1], &st.running)
		case key == "procs_blocked":
			return parseFloatInto(f[1], &st.blocked)
		}
		return nil
	})
	if err == nil && !sawCPU {
		err = errors.New("/proc/stat: no cpu lines")
	}
	return err
}

func parseFloatInto(s string, dst *float64) error {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("/proc/stat: %w", err)
	}
	*dst = v
	return nil
}

// parseMeminfo calls fn for each "Key: value [kB]" line of /proc/meminfo with
// the value in bytes when it had a kB unit.
func parseMeminfo(data string, fn func(key string, v float64, bytes bool)) error {
	var f []string
	n := 0
	err := lines(data, func(line string) error {
		f = fields(line, f)
		if len(f) < 2 {
			return nil
		}
		key, ok := strings.CutSuffix(f[0], ":")
		if !ok {
			return fmt.Errorf("/proc/meminfo: malformed line %q", line)
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			return fmt.Errorf("/proc/meminfo: %s: %w", key, err)
		}
		isBytes := len(f) > 2 && f[2] == "kB"
		if isBytes {
			v *= 1024
		}
		n++
		fn(key, v, isBytes)
		return nil
	})
	if err == nil && n == 0 {
		err = errors.New("/proc/meminfo: empty")
	}
	return err
}

// parseDiskstats calls fn for every device of /proc/diskstats with the
// counters after the name (11, 15 or 17 of them depending on the kernel).
func parseDiskstats(data string, fn func(dev string, v []float64)) error {
	var f []string
	var vals [20]float64
	return lines(data, func(line string) error {
		f = fields(line, f)
		if len(f) == 0 {
			return nil
		}
		if len(f) < 14 {
			return fmt.Errorf("/proc/diskstats: short line %q", line)
		}
		n := 0
		for _, s := range f[3:] {
			if n == len(vals) {
				break
			}
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return fmt.Errorf("/proc/diskstats: %s: %w", f[2], err)
			}
			vals[n] = x
			n++
		}
		fn(f[2], vals[:n])
		return nil
	})
}

// parseNetDev calls fn for every interface of /proc/net/dev with its 16
// counters (8 receive, 8 transmit).
func parseNetDev(data string, fn func(dev string, v *[16]float64)) error {
	var f []string
	var vals [16]float64
	i := 0
	return lines(data, func(line string) error {
		i++
		if i <= 2 { // two header lines
			return nil
		}
		name, rest, ok := strings.Cut(line, ":")
		if !ok {
			return fmt.Errorf("/proc/net/dev: malformed line %q", line)
		}
		f = fields(rest, f)
		if len(f) < 16 {
			return fmt.Errorf("/proc/net/dev: short line %q", line)
		}
		for j := range vals {
			x, err := strconv.ParseFloat(f[j], 64)
			if err != nil {
				return fmt.Errorf("/proc/net/dev: %s: %w", name, err)
			}
			vals[j] = x
		}
		fn(strings.TrimSpace(name), &vals)
		return nil
	})
}

// mount is one mounted filesystem.
type mount struct {
	device, mountPoint, fsType string
	readOnly                   bool
}

// parseMountinfo parses /proc/PID/mountinfo. A mount point mounted over
// several times is reported once, for the last (visible) mount.
func parseMountinfo(data string) ([]mount, error) {
	var out []mount
	index := map[string]int{}
	var f []string
	err := lines(data, func(line string) error {
		f = fields(line, f)
		if len(f) == 0 {
			return nil
		}
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if len(f) < 7 || sep < 0 || sep+2 >= len(f) {
			return fmt.Errorf("mountinfo: malformed line %q", line)
		}
		m := mount{
			mountPoint: unescapeOctal(f[4]),
			fsType:     f[sep+1],
			device:     unescapeOctal(f[sep+2]),
		}
		for _, o := range strings.Split(f[5], ",") {
			if o == "ro" {
				m.readOnly = true
			}
		}
		if i, ok := index[m.mountPoint]; ok {
			out[i] = m
			return nil
		}
		index[m.mountPoint] = len(out)
		out = append(out, m)
		return nil
	})
	return out, err
}

// unescapeOctal decodes the \040-style escapes the kernel writes for spaces,
// tabs, newlines and backslashes in mount paths.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// pidStat is what the agent needs from /proc/PID/stat.
type pidStat struct {
	comm         string
	utime, stime float64 // clock ticks
	startTime    float64 // clock ticks after boot
	rssPages     float64
}

// parsePidStat parses /proc/PID/stat. The command name is between the first
// "(" and the last ")" because it may itself hold spaces and parentheses.
func parsePidStat(data string, dst []string) (pidStat, []string, error) {
	open := strings.IndexByte(data, '(')
	closing := strings.LastIndexByte(data, ')')
	if open < 0 || closing < open {
		return pidStat{}, dst, errors.New("stat: no command name")
	}
	dst = fields(strings.TrimSpace(data[closing+1:]), dst)
	// dst[0] is field 3 (state); utime is field 14, stime 15, starttime 22, rss 24.
	if len(dst) < 22 {
		return pidStat{}, dst, errors.New("stat: short line")
	}
	var p pidStat
	p.comm = data[open+1 : closing]
	for _, x := range []struct {
		field int
		dst   *float64
	}{{14, &p.utime}, {15, &p.stime}, {22, &p.startTime}, {24, &p.rssPages}} {
		v, err := strconv.ParseFloat(dst[x.field-3], 64)
		if err != nil {
			return pidStat{}, dst, fmt.Errorf("stat field %d: %w", x.field, err)
		}
		*x.dst = v
	}
	return p, dst, nil
}

// isPID reports whether a /proc entry name is a process directory.
func isPID(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if name[i] < '0' || name[i] > '9' {
			return false
		}
	}
	return true
}

// pathError is os.PathError without the os import on the hot path; it
// unwraps to the errno so os.IsNotExist and errors.Is work.
type pathError struct {
	op, path string
	err      error
}

func (e *pathError) Error() string { return e.op + " " + e.path + ": " + e.err.Error() }
func (e *pathError) Unwrap() error { return e.err }

// parseCPUInfo returns the first processor's model name and the number of
// processors in /proc/cpuinfo. ARM kernels without "model name" give the
// "Processor" or "Hardware" line instead.
func parseCPUInfo(data string) (model string, cpus int) {
	var fallback string
	_ = lines(data, func(line string) error {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return nil
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "processor":
			cpus++
		case "model name":
			if model == "" {
				model = v
			}
		case "Processor", "Hardware", "cpu model":
			if fallback == "" {
				fallback = v
			}
		}
		return nil
	})
	if model == "" {
		model = fallback
	}
	return model, cpus
}

// parseLoadavg parses the first three fields of /proc/loadavg.
func parseLoadavg(data string) ([3]float64, error) {
	var out [3]float64
	f := strings.Fields(data)
	if len(f) < 3 {
		return out, fmt.Errorf("/proc/loadavg: %d fields, want at least 3", len(f))
	}
	for i := range out {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return out, fmt.Errorf("/proc/loadavg: %w", err)
		}
		out[i] = v
	}
	return out, nil
}

// parseOSRelease returns ID and VERSION_ID of an os-release file.
func parseOSRelease(data string) (id, version string) {
	_ = lines(data, func(line string) error {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			return nil
		}
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		} else {
			v = strings.Trim(v, `"'`)
		}
		switch k {
		case "ID":
			id = v
		case "VERSION_ID":
			version = v
		}
		return nil
	})
	return id, version
}
