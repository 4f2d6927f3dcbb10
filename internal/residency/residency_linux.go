// Package residency keeps a program's start-up pages out of its resident
// memory (Linux).
package residency

import (
	"bytes"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// ReleaseExecutablePages unmaps the read-only mappings of the running
// executable with madvise(MADV_DONTNEED) and returns how many bytes of
// address space it advised. The agent and the collector's serve call it
// once, when start-up is over.
//
// On Linux a Go program's own binary is much of its resident memory: every
// page of code and read-only data that was ever touched stays mapped, and
// package initialisation, flag and YAML parsing and the construction of the
// program's parts touch most of the binary (the kernel also maps the
// neighbours of each faulted page, in 64 kB fault-around windows). Once
// start-up is over the program therefore unmaps its read-only file-backed
// mappings once with madvise(MADV_DONTNEED). Only the page-table entries go:
// the pages stay in the page cache (nothing is written or dropped from it),
// so the ones the steady state uses come back on their next use as minor
// faults, not disk reads, and the start-up-only ones stay out of the RSS.
// docs/benchmarks.md ("Releasing start-up pages" for the agent, "Issue 11 §5,
// third pass" for serve) has the measured effect, and the variants that did
// not help (MADV_RANDOM does not stop fault-around; MADV_PAGEOUT gives the
// same RSS but evicts the pages from the page cache, so they come back as
// disk reads).
//
// Only mappings that are not writable are touched: for a private writable
// mapping MADV_DONTNEED would throw away the process's own changes.
func ReleaseExecutablePages() (int64, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &st); err != nil {
		return 0, fmt.Errorf("stat /proc/self/exe: %w", err)
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0, fmt.Errorf("read mappings: %w", err)
	}
	ranges, err := exeReadOnlyRanges(maps, unix.Major(st.Dev), unix.Minor(st.Dev), st.Ino)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, r := range ranges {
		_, _, errno := unix.Syscall(unix.SYS_MADVISE, r.start, r.end-r.start, unix.MADV_DONTNEED)
		if errno != 0 {
			return total, fmt.Errorf("madvise %#x-%#x: %w", r.start, r.end, errno)
		}
		total += int64(r.end - r.start)
	}
	return total, nil
}

type addrRange struct{ start, end uintptr }

// exeReadOnlyRanges returns the mappings in maps (the text of
// /proc/self/maps) of the file with the given device and inode that are not
// writable.
//
//	00400000-00839000 r-xp 00000000 fe:00 10436618    /usr/bin/roomwatch-agent
func exeReadOnlyRanges(maps []byte, major, minor uint32, ino uint64) ([]addrRange, error) {
	var out []addrRange
	for line := range bytes.Lines(maps) {
		f := bytes.Fields(line)
		if len(f) < 6 {
			continue // anonymous mapping
		}
		perms := f[1]
		if len(perms) != 4 || perms[1] == 'w' {
			continue
		}
		devMajor, devMinor, ok := bytes.Cut(f[3], []byte(":"))
		if !ok {
			return nil, fmt.Errorf("mappings: bad device %q", f[3])
		}
		maj, err1 := strconv.ParseUint(string(devMajor), 16, 32)
		mnr, err2 := strconv.ParseUint(string(devMinor), 16, 32)
		inode, err3 := strconv.ParseUint(string(f[4]), 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("mappings: bad device or inode in %q", bytes.TrimSpace(line))
		}
		if uint32(maj) != major || uint32(mnr) != minor || inode != ino {
			continue
		}
		lo, hi, ok := bytes.Cut(f[0], []byte("-"))
		if !ok {
			return nil, fmt.Errorf("mappings: bad range %q", f[0])
		}
		start, err1 := strconv.ParseUint(string(lo), 16, 64)
		end, err2 := strconv.ParseUint(string(hi), 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			return nil, fmt.Errorf("mappings: bad range %q", f[0])
		}
		out = append(out, addrRange{uintptr(start), uintptr(end)})
	}
	return out, nil
}
