package residency

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestExeReadOnlyRanges(t *testing.T) {
	t.Parallel()
	const maps = `00400000-00839000 r-xp 00000000 fe:00 10436618                           /usr/bin/roomwatch-agent
00839000-00cbd000 r--p 00439000 fe:00 10436618                           /usr/bin/roomwatch-agent
00cbd000-00d24000 rw-p 008bd000 fe:00 10436618                           /usr/bin/roomwatch-agent
00d24000-02d68000 rw-p 00000000 00:00 0
7f08d8a82000-7f08d8a84000 r-xp 00000000 00:00 0                          [vdso]
7f0000000000-7f0000001000 r--p 00000000 fe:01 10436618                   /other/device/same/inode
7f0000001000-7f0000002000 r--p 00000000 fe:00 99                         /other/file
`
	tests := []struct {
		name  string
		maps  string
		want  []addrRange
		isErr bool
	}{
		{"text and rodata, not data", maps, []addrRange{{0x400000, 0x839000}, {0x839000, 0xcbd000}}, false},
		{"empty", "", nil, false},
		{"bad device", "00400000-00839000 r-xp 00000000 fe00 10436618 /x\n", nil, true},
		{"bad inode", "00400000-00839000 r-xp 00000000 fe:00 x /x\n", nil, true},
		{"bad range", "00400000 r-xp 00000000 fe:00 10436618 /x\n", nil, true},
		{"reversed range", "00839000-00400000 r-xp 00000000 fe:00 10436618 /x\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := exeReadOnlyRanges([]byte(tt.maps), 0xfe, 0, 10436618)
			if (err != nil) != tt.isErr {
				t.Fatalf("err = %v, want error %v", err, tt.isErr)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("range %d = %#x, want %#x", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func FuzzExeReadOnlyRanges(f *testing.F) {
	f.Add([]byte("00400000-00839000 r-xp 00000000 fe:00 10436618 /usr/bin/roomwatch-agent\n"))
	f.Add([]byte("00d24000-02d68000 rw-p 00000000 00:00 0\n"))
	f.Add([]byte("x-y r z a:b c d\n"))
	f.Fuzz(func(t *testing.T, maps []byte) {
		ranges, err := exeReadOnlyRanges(maps, 0xfe, 0, 10436618)
		if err != nil {
			return
		}
		for _, r := range ranges {
			if r.end <= r.start {
				t.Fatalf("empty or reversed range %#x", r)
			}
		}
	})
}

// exeRSS sums Rss over the test binary's own read-only mappings in
// /proc/self/smaps, in kB.
func exeRSS(t *testing.T) int {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &st); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	ino := strconv.FormatUint(st.Ino, 10)
	var in bool
	var kb int
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"):
			in = len(f) >= 6 && f[4] == ino && f[1][1] != 'w'
		case in && len(f) == 3 && f[0] == "Rss:":
			n, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatal(err)
			}
			kb += n
		}
	}
	return kb
}

// TestReleaseStartupPages checks on this test binary that the pages are
// really unmapped: its read-only mappings' RSS drops, and the process keeps
// running (the code refaults from the page cache).
func TestReleaseStartupPages(t *testing.T) {
	before := exeRSS(t)
	if before < 512 {
		t.Fatalf("test binary has only %d kB of its read-only mappings resident; want a real start-up footprint", before)
	}
	n, err := ReleaseExecutablePages()
	if err != nil {
		t.Fatal(err)
	}
	after := exeRSS(t)
	t.Logf("advised %d kB; read-only RSS of the binary %d kB -> %d kB", n>>10, before, after)
	if n == 0 {
		t.Fatal("no mapping of the executable found")
	}
	// This package's test binary is small (≈ 4 MB mapped, ≈ 3 MB of it
	// resident), and what the runtime and the testing package touch again
	// at once (≈ 1.6 MB) is a larger share of it than of the agent's or the
	// collector's binary.
	if after > before-512 {
		t.Errorf("read-only RSS %d kB -> %d kB: want it down by 512 kB at least", before, after)
	}
}
