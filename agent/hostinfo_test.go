package agent

import "testing"

func TestParseCPUInfo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, model string
		cpus            int
	}{
		{"x86", "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Silver 4210R CPU @ 2.40GHz\n\nprocessor\t: 1\nmodel name\t: Intel(R) Xeon(R) Silver 4210R CPU @ 2.40GHz\n",
			"Intel(R) Xeon(R) Silver 4210R CPU @ 2.40GHz", 2},
		{"arm without model name", "processor\t: 0\nBogoMIPS\t: 100.00\nCPU implementer\t: 0x70\n\nprocessor\t: 1\n\nHardware\t: Phytium FT-2000/4\n", "Phytium FT-2000/4", 2},
		{"empty", "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			model, n := parseCPUInfo(tt.in)
			if model != tt.model || n != tt.cpus {
				t.Errorf("parseCPUInfo = %q, %d; want %q, %d", model, n, tt.model, tt.cpus)
			}
		})
	}
}

func TestParseOSRelease(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, id, version string }{
		{"debian", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n", "debian", "12"},
		{"kylin", "NAME=\"Kylin Linux Advanced Server\"\nVERSION=\"V10 (Lance)\"\nID=\"kylin\"\nVERSION_ID=\"V10\"\n", "kylin", "V10"},
		{"single quotes", "ID='centos'\nVERSION_ID='7'\n", "centos", "7"},
		{"garbage", "no equals here\n=\n", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, v := parseOSRelease(tt.in)
			if id != tt.id || v != tt.version {
				t.Errorf("parseOSRelease = %q, %q; want %q, %q", id, v, tt.id, tt.version)
			}
		})
	}
}

func TestParseLoadavg(t *testing.T) {
	t.Parallel()
	got, err := parseLoadavg("0.52 1.25 3.00 2/345 6789\n")
	if err != nil || got != [3]float64{0.52, 1.25, 3} {
		t.Errorf("parseLoadavg = %v, %v", got, err)
	}
	for _, bad := range []string{"", "1 2", "1 x 3"} {
		if _, err := parseLoadavg(bad); err == nil {
			t.Errorf("parseLoadavg(%q): no error", bad)
		}
	}
}

func FuzzParseHostFiles(f *testing.F) {
	f.Add("processor\t: 0\nmodel name\t: x\n")
	f.Add("ID=debian\nVERSION_ID=\"12\"\n")
	f.Add("0.1 0.2 0.3 1/2 3\n")
	f.Fuzz(func(t *testing.T, s string) {
		parseCPUInfo(s)
		parseOSRelease(s)
		_, _ = parseLoadavg(s)
	})
}
