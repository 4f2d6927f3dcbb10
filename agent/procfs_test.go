package agent

import (
	"strings"
	"testing"
)

func TestParseStat(t *testing.T) {
	t.Parallel()
	var st procStat
	data := "cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 100 200 300 400 500 600 700 800 900 1000\ncpu1 1 1 1 1\nintr 99 1 2\nctxt 7\nbtime 1700000000\nprocesses 12\nprocs_running 3\nprocs_blocked 1\n"
	if err := parseStat(data, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.cpus) != 2 {
		t.Fatalf("cpus = %d, want 2", len(st.cpus))
	}
	c := st.cpus[0]
	if c.cpu != "0" || c.user != 1 || c.nice != 2 || c.system != 3 || c.idle != 4 || c.iowait != 5 || c.irq != 6 ||
		c.softirq != 7 || c.steal != 8 || c.guest != 9 || c.guestNice != 10 {
		t.Errorf("cpu0 = %+v", c)
	}
	if st.cpus[1].cpu != "1" || st.cpus[1].idle != 0.01 || st.cpus[1].steal != 0 {
		t.Errorf("cpu1 (old kernel, 4 columns) = %+v", st.cpus[1])
	}
	if st.intr != 99 || st.ctxt != 7 || st.btime != 1700000000 || st.forks != 12 || st.running != 3 || st.blocked != 1 {
		t.Errorf("stat = %+v", st)
	}
	// A second parse reuses the slice and gives the same result.
	if err := parseStat(data, &st); err != nil || len(st.cpus) != 2 {
		t.Errorf("reparse: %v, %d cpus", err, len(st.cpus))
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, want string
		parse      func() error
	}{
		{"stat without cpus", "no cpu lines", func() error { return parseStat("intr 1\n", &procStat{}) }},
		{"stat bad number", "cpu0", func() error { return parseStat("cpu0 1 x 3 4\n", &procStat{}) }},
		{"stat short cpu", "short", func() error { return parseStat("cpu0 1 2\n", &procStat{}) }},
		{"meminfo empty", "empty", func() error { return parseMeminfo("", func(string, float64, bool) {}) }},
		{"meminfo no colon", "malformed", func() error { return parseMeminfo("MemTotal 12 kB\n", func(string, float64, bool) {}) }},
		{"meminfo bad value", "MemTotal", func() error { return parseMeminfo("MemTotal: lots kB\n", func(string, float64, bool) {}) }},
		{"diskstats short", "short", func() error { return parseDiskstats("8 0 sda 1 2 3\n", func(string, []float64) {}) }},
		{"diskstats bad", "sda", func() error { return parseDiskstats("8 0 sda 1 2 3 4 5 6 7 8 9 x 11\n", func(string, []float64) {}) }},
		{"netdev no colon", "malformed", func() error { return parseNetDev("h1\nh2\neth0 1 2\n", func(string, *[16]float64) {}) }},
		{"netdev short", "short", func() error { return parseNetDev("h1\nh2\neth0: 1 2\n", func(string, *[16]float64) {}) }},
		{"mountinfo short", "malformed", func() error { _, err := parseMountinfo("1 2 3:4 / /\n"); return err }},
		{"mountinfo no separator", "malformed", func() error { _, err := parseMountinfo("1 2 3:4 / / rw x y z\n"); return err }},
		{"pid stat no name", "no command name", func() error { _, _, err := parsePidStat("1 S 0", nil); return err }},
		{"pid stat short", "short", func() error { _, _, err := parsePidStat("1 (x) S 0 1", nil); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestParseMountinfo(t *testing.T) {
	t.Parallel()
	data := "26 1 253:0 / / rw,relatime - ext4 /dev/vda rw\n" +
		"30 26 0:40 / /mnt/my\\040disk ro,nosuid - ext4 /dev/sdb1 ro\n" +
		"31 26 0:41 / /srv/nfs rw,relatime shared:5 master:2 - nfs4 10.0.0.5:/export rw\n" +
		"32 26 0:42 / /srv/nfs rw - tmpfs tmpfs rw\n"
	got, err := parseMountinfo(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []mount{
		{device: "/dev/vda", mountPoint: "/", fsType: "ext4"},
		{device: "/dev/sdb1", mountPoint: "/mnt/my disk", fsType: "ext4", readOnly: true},
		{device: "tmpfs", mountPoint: "/srv/nfs", fsType: "tmpfs"}, // mounted over the NFS mount
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("mount %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestParsePidStat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line string
		want pidStat
	}{
		{"1 (systemd) S 0 1 1 0 -1 4194560 27560 1064425 94 1066 150 250 1190 1019 20 0 1 0 12 173166592 3000 18446744073709551615",
			pidStat{comm: "systemd", utime: 150, stime: 250, startTime: 12, rssPages: 3000}},
		{"42 (my (odd) app) R 1 42 42 0 -1 4194304 100 0 0 0 300 100 0 0 20 0 4 0 500 100000000 2000 1",
			pidStat{comm: "my (odd) app", utime: 300, stime: 100, startTime: 500, rssPages: 2000}},
		{"7 () Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0 0",
			pidStat{comm: "", startTime: 9}},
	}
	for _, tt := range tests {
		got, _, err := parsePidStat(tt.line, nil)
		if err != nil {
			t.Errorf("%q: %v", tt.line, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%q: got %+v, want %+v", tt.line, got, tt.want)
		}
	}
}

func TestUnescapeOctal(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`/plain`:         "/plain",
		`/a\040b`:        "/a b",
		`/tab\011x`:      "/tab\tx",
		`/back\134slash`: `/back\slash`,
		`/trailing\04`:   `/trailing\04`,
		`/not\999octal`:  `/not\999octal`,
		`/two\040\040sp`: "/two  sp",
		`\`:              `\`,
	} {
		if got := unescapeOctal(in); got != want {
			t.Errorf("unescapeOctal(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMeminfoMetricName(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		key   string
		bytes bool
		want  string
	}{
		{"MemAvailable", true, "node_memory_MemAvailable_bytes"},
		{"Active(anon)", true, "node_memory_Active_anon_bytes"},
		{"HugePages_Total", false, "node_memory_HugePages_Total"},
		{"Weird-Key", true, "node_memory_Weird_Key_bytes"},
	} {
		if got := meminfoMetricName(tt.key, tt.bytes); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.key, got, tt.want)
		}
	}
}

func TestFields(t *testing.T) {
	t.Parallel()
	got := fields("  a\tb  c ", nil)
	if strings.Join(got, "|") != "a|b|c" {
		t.Errorf("fields = %q", got)
	}
}

// Fuzz targets: bad /proc content must give an error, never a panic.

func FuzzParseStat(f *testing.F) {
	f.Add("cpu0 1 2 3 4 5 6 7 8 9 10\nbtime 5\n")
	f.Add("cpu 1\ncpu0 1 2\n")
	f.Fuzz(func(t *testing.T, data string) {
		var st procStat
		_ = parseStat(data, &st)
	})
}

func FuzzParseMountinfo(f *testing.F) {
	f.Add("26 1 253:0 / / rw,relatime - ext4 /dev/vda rw\n")
	f.Add("30 26 0:40 / /mnt/my\\040disk ro shared:1 - ext4 /dev/sdb1 ro\n")
	f.Add("1 2 3 4 5 6 - \n")
	f.Fuzz(func(t *testing.T, data string) {
		_, _ = parseMountinfo(data)
	})
}

func FuzzParsePidStat(f *testing.F) {
	f.Add("42 (my (odd) app) R 1 42 42 0 -1 4194304 100 0 0 0 300 100 0 0 20 0 4 0 500 100000000 2000 1")
	f.Add("1 ) ( S")
	f.Fuzz(func(t *testing.T, data string) {
		_, _, _ = parsePidStat(data, nil)
	})
}

func FuzzParseTables(f *testing.F) {
	f.Add("h\nh\n  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", "8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n", "MemTotal: 1 kB\n")
	f.Fuzz(func(t *testing.T, netdev, diskstats, meminfo string) {
		_ = parseNetDev(netdev, func(string, *[16]float64) {})
		_ = parseDiskstats(diskstats, func(string, []float64) {})
		_ = parseMeminfo(meminfo, func(string, float64, bool) {})
	})
}
