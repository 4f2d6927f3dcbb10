package inventory

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/roomwatch/roomwatch/internal/config"
)

const issueExample = `
devices:
  - name: ups-1
    display_name: 一号UPS
    class: ups
    address: 127.0.0.1:1161
    snmp: {version: 2c, community: public}
  - name: cameras-east
    class: camera
    range: 127.1.0.1-127.1.39.16
`

func TestIssueExample(t *testing.T) {
	var inv Inventory
	if err := config.Decode("inv.yml", []byte(issueExample), &inv); err != nil {
		t.Fatal(err)
	}
	targets, err := inv.Targets()
	if err != nil {
		t.Fatal(err)
	}
	// 127.1.0.1 … 127.1.39.16 is 39*256 + 16 addresses.
	if got, want := len(targets), 1+39*256+16; got != want {
		t.Fatalf("targets = %d, want %d", got, want)
	}
	if targets[0].Name != "ups-1" || targets[0].Device.DisplayName != "一号UPS" {
		t.Errorf("first target = %+v", targets[0])
	}
	last := targets[len(targets)-1]
	if last.Address != "127.1.39.16" || last.Name != "cameras-east/127.1.39.16" {
		t.Errorf("last target = %s %s", last.Name, last.Address)
	}
}

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"unknown class", "devices:\n  - name: a\n    class: toaster\n    address: 127.0.0.1\n", "inv.yml:2: device \"a\": unknown class \"toaster\""},
		{"no address", "devices:\n  - name: a\n    class: ups\n", "inv.yml:2: device \"a\": needs an address or a range"},
		{"duplicate", "devices:\n  - {name: a, class: ups, address: x}\n  - {name: a, class: ups, address: y}\n", "inv.yml:3: device \"a\": name already used at line 2"},
		{"bad range", "devices:\n  - {name: c, class: camera, range: 127.1.0.9-127.1.0.1}\n", "the last address must follow the first"},
		{"huge range", "devices:\n  - {name: c, class: camera, range: 10.0.0.0/8}\n", "more than"},
		{"ipv6 range", "devices:\n  - {name: c, class: camera, range: \"::/0\"}\n", "more than"},
		{"missing credential", "devices:\n  - {name: a, class: ups, address: x, snmp: {credential: nope}}\n", "snmp credential \"nope\" is not defined"},
		{"unknown key", "devices:\n  - name: a\n    clas: ups\n", "inv.yml:3: field clas not found"},
		{"unknown parent", "devices:\n  - {name: a, class: camera, address: x, parent: sw9}\n", "parent \"sw9\" is not a device"},
		{"chinese name", "devices:\n  - {name: 一号, class: ups, address: x}\n", "put Chinese in display_name"},
		{"v3 without user", "devices:\n  - {name: a, class: ups, address: x, snmp: {version: \"3\"}}\n", "snmp v3 needs a username"},
		{"old and new probes", "devices:\n  - {name: a, class: ups, address: x, probes: [icmp], checks: [snmp]}\n", "inv.yml:2: device \"a\": has both probes and checks"},
		{"old and new probe options", "devices:\n  - {name: a, class: ups, address: x, probe_options: {tcp_ports: [1]}, probe: {tcp_ports: [2]}}\n", "inv.yml:2: device \"a\": has both probe_options and probe"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var inv Inventory
			err := config.Decode("inv.yml", []byte(tc.in), &inv)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestOldProbeSpellings: a device written with the names of earlier releases
// (checks:, probe:) is read into probes and probe_options, with a warning
// naming the device's line; the new names give no warning.
func TestOldProbeSpellings(t *testing.T) {
	tests := []struct {
		name, in   string
		wantProbes []string
		wantPorts  []int
		wantWarn   []string
	}{
		{"new names", "devices:\n  - {name: a, class: server, address: x, probes: [tcp], probe_options: {tcp_ports: [22]}}\n",
			[]string{"tcp"}, []int{22}, nil},
		{"old names", "devices:\n  - {name: a, class: server, address: x, checks: [tcp], probe: {tcp_ports: [22]}}\n",
			[]string{"tcp"}, []int{22}, []string{
				"line 2: device a: checks is renamed probes; the old name is read for one release",
				"line 2: device a: probe is renamed probe_options; the old name is read for one release",
			}},
		{"old list only", "devices:\n  - {name: a, class: server, address: x, checks: [icmp]}\n",
			[]string{"icmp"}, nil, []string{"line 2: device a: checks is renamed probes; the old name is read for one release"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var inv Inventory
			if err := config.Decode("inv.yml", []byte(tc.in), &inv); err != nil {
				t.Fatal(err)
			}
			d := inv.Devices[0]
			if !slices.Equal(d.Probes, tc.wantProbes) || !slices.Equal(d.Probe.TCPPorts, tc.wantPorts) {
				t.Errorf("probes %v, tcp_ports %v; want %v, %v", d.Probes, d.Probe.TCPPorts, tc.wantProbes, tc.wantPorts)
			}
			if got := inv.Deprecations(); !slices.Equal(got, tc.wantWarn) {
				t.Errorf("deprecations\n got %q\nwant %q", got, tc.wantWarn)
			}
		})
	}
}

func TestCredentialReferenceAndSecrecy(t *testing.T) {
	in := `
credentials:
  core: {snmp: {version: "3", username: ops, security_level: authPriv, auth_protocol: SHA, auth_password: s3cretAuth, priv_protocol: AES, priv_password: s3cretPriv}}
devices:
  - {name: sw1, class: switch, address: 127.0.0.1, snmp: {credential: core, port: 1161}}
`
	var inv Inventory
	if err := config.Decode("inv.yml", []byte(in), &inv); err != nil {
		t.Fatal(err)
	}
	s := inv.Devices[0].SNMP
	if s.Username != "ops" || s.Port != 1161 || s.AuthPassword.Reveal() != "s3cretAuth" {
		t.Fatalf("resolved snmp = %#v", s)
	}
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		if out := fmt.Sprintf(f, *s); strings.Contains(out, "s3cret") {
			t.Errorf("%s leaks a secret: %s", f, out)
		}
	}
}

func TestCIDR(t *testing.T) {
	var inv Inventory
	in := "devices:\n  - {name: c, class: camera, range: 127.2.0.0/30}\n"
	if err := config.Decode("inv.yml", []byte(in), &inv); err != nil {
		t.Fatal(err)
	}
	targets, _ := inv.Targets()
	var got []string
	for _, tg := range targets {
		got = append(got, tg.Address)
	}
	if strings.Join(got, ",") != "127.2.0.0,127.2.0.1,127.2.0.2,127.2.0.3" {
		t.Errorf("targets = %v", got)
	}
}
