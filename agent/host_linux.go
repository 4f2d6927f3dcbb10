package agent

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// unameLabels returns node_uname_info's labels, as node_exporter sets them.
func unameLabels() []string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return nil
	}
	return []string{cString(u.Sysname[:]), cString(u.Release[:]), cString(u.Version[:]),
		cString(u.Machine[:]), cString(u.Nodename[:]), cString(u.Domainname[:])}
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// readHostBasics reads the host description from /proc, /etc/os-release and
// uname(2), giving the values gopsutil's host.Info, cpu.Info and
// mem.VirtualMemory give (which the Linux binary does not link, to stay small).
// Only the boot time is required; a missing file leaves its field empty.
func readHostBasics(_ context.Context, root string) (hostBasics, error) {
	var r fileReader
	hb := hostBasics{os: runtime.GOOS}
	data, err := r.read(filepath.Join(root, "/proc/stat"))
	if err != nil {
		return hb, err
	}
	var st procStat
	if err := parseStat(string(data), &st); err != nil {
		return hb, err
	}
	hb.bootTime = st.btime
	hb.hostname, _ = os.Hostname()
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		hb.kernel, hb.arch = cString(u.Release[:]), cString(u.Machine[:])
	}
	hb.platform, hb.platformVersion = readPlatform(&r, root)
	if data, err := r.read(filepath.Join(root, "/proc/cpuinfo")); err == nil {
		hb.cpuModel, hb.cpus = parseCPUInfo(string(data))
	}
	if hb.cpus == 0 {
		hb.cpus = runtime.NumCPU()
	}
	if data, err := r.read(filepath.Join(root, "/proc/meminfo")); err == nil {
		_ = parseMeminfo(string(data), func(key string, v float64, _ bool) {
			if key == "MemTotal" {
				hb.memTotal = uint64(v)
			}
		})
	}
	return hb, nil
}

// readPlatform returns the distribution ID and version from /etc/os-release
// (debian, 12.11; kylin, V10; centos, 7). Like gopsutil, Debian's finer
// /etc/debian_version wins over os-release's major version.
func readPlatform(r *fileReader, root string) (platform, version string) {
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		data, err := r.read(filepath.Join(root, p))
		if err != nil {
			continue
		}
		platform, version = parseOSRelease(string(data))
		break
	}
	if platform == "debian" {
		if data, err := r.read(filepath.Join(root, "/etc/debian_version")); err == nil {
			if v := strings.TrimSpace(string(data)); v != "" {
				version = v
			}
		}
	}
	return platform, version
}
