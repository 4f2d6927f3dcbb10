package snmp

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

// profilesDir is the repository's profile directory.
func profilesDir(t testing.TB) string {
	t.Helper()
	root, err := testutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "rules", "profiles")
}

func loadProfiles(t testing.TB) *ProfileSet {
	t.Helper()
	ps, err := LoadProfiles(profilesDir(t))
	if err != nil {
		t.Fatalf("LoadProfiles: %v", err)
	}
	return ps
}

func TestLoadProfiles(t *testing.T) {
	ps := loadProfiles(t)
	for _, want := range []string{"system", "if-mib", "huawei", "h3c", "cisco", "ruijie", "ups-mib", "apc", "eaton",
		"huawei-ups", "xppc", "liebert", "vertiv-dcs", "hwg-poseidon", "hwg-wld", "akcp", "hikvision-nvr",
		"hikvision-camera", "dahua-nvr", "printer-mib"} {
		if _, ok := ps.Get(want); !ok {
			t.Errorf("profile %q missing (have %v)", want, ps.Names())
		}
	}
}

func TestParseProfileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key", "name: x\nscalars:\n  - oid: 1.3.6.1.2.1.1.3.0\n    name: a\n    sclae: 2\n", "x.yml:5: field sclae not found"},
		{"bad oid", "name: x\nscalars:\n  - oid: 1.3.six\n    name: a\n", "x.yml:3: metric \"a\": \"1.3.six\" is not a numeric OID"},
		{"counter without _total", "name: x\nscalars:\n  - {oid: 1.3.6.1, name: a, type: counter}\n", "x.yml:3: metric \"a\": a counter's name must end in _total"},
		{"gauge with _total", "name: x\nscalars:\n  - {oid: 1.3.6.1, name: a_total}\n", "only counters end in _total"},
		{"bad type", "name: x\nscalars:\n  - {oid: 1.3.6.1, name: a, type: histogram}\n", "type \"histogram\""},
		{"bad parse", "name: x\nscalars:\n  - {oid: 1.3.6.1, name: a, parse: hex}\n", "parse \"hex\""},
		{"bad metric name", "name: x\nscalars:\n  - {oid: 1.3.6.1, name: a-b}\n", "name must match"},
		{"empty table", "name: x\ntables:\n  - name: t\n", "x.yml:3: table \"t\" has no metrics"},
		{"duplicate label", "name: x\ntables:\n  - name: t\n    index_label: i\n    labels:\n      - {name: i, oid: 1.3.6.1}\n    metrics:\n      - {oid: 1.3.6.2, name: a}\n", "x.yml:6: label \"i\" given twice"},
		{"filter without values", "name: x\ntables:\n  - name: t\n    filter:\n      - {oid: 1.3.6.1}\n    metrics:\n      - {oid: 1.3.6.2, name: a}\n", "needs equals or not_equals"},
		{"reads nothing", "name: x\n", "reads nothing"},
		{"bad regexp", "name: x\nmatch: {sys_descr: \"(\"}\nscalars:\n  - {oid: 1.3.6.1, name: a}\n", "match.sys_descr"},
		{"bad sysObjectID", "name: x\nmatch: {sys_object_id: [abc]}\nscalars:\n  - {oid: 1.3.6.1, name: a}\n", "not a numeric OID"},
		{"both ratios", "name: x\nscalars:\n  - {oid: 1.3.6.1, name: a, divide_by: 1.3.6.2, total_with: 1.3.6.3}\n", "not both"},
		{"default without map", "name: x\nscalars:\n  - {oid: 1.3.6.1, name: a, default: 1}\n", "default only applies with map"},
		{"fallback_scale alone", "name: x\nscalars:\n  - {oid: 1.3.6.1, name: a, fallback_scale: 2}\n", "fallback_scale needs a fallback"},
		{"wrong value type", "name: x\nscalars:\n  - {oid: 1.3.6.1, name: a, scale: lots}\n", "x.yml:3"},
		{"info name", "name: x\ninfo:\n  - {name: foo, labels: [{name: a, oid: 1.3.6.1}]}\n", "ending in _info"},
		{"two documents", "name: x\nscalars:\n  - {oid: 1.3.6.1, name: a}\n---\nname: y\n", "second YAML document"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseProfile("x.yml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestProfileSetChecks(t *testing.T) {
	t.Parallel()
	a, _ := ParseProfile("a.yml", []byte("name: a\ninclude: [nope]\nscalars:\n  - {oid: 1.3.6.1, name: m}\n"))
	if _, err := NewProfileSet(a); err == nil || !strings.Contains(err.Error(), `include "nope"`) {
		t.Errorf("missing include: err = %v", err)
	}
	b, _ := ParseProfile("b.yml", []byte("name: b\nscalars:\n  - {oid: 1.3.6.1, name: m}\n"))
	c, _ := ParseProfile("c.yml", []byte("name: c\nscalars:\n  - {oid: 1.3.6.2, name: m_total, type: counter}\n  - {oid: 1.3.6.3, name: m, type: gauge}\n"))
	if _, err := NewProfileSet(b, c); err != nil {
		t.Errorf("consistent types rejected: %v", err)
	}
	d, _ := ParseProfile("d.yml", []byte("name: b\nscalars:\n  - {oid: 1.3.6.1, name: z}\n"))
	if _, err := NewProfileSet(b, d); err == nil || !strings.Contains(err.Error(), "already used") {
		t.Errorf("duplicate name: err = %v", err)
	}
}

func TestSelect(t *testing.T) {
	t.Parallel()
	ps := loadProfiles(t)
	tests := []struct {
		explicit, oid, descr string
		want                 string
	}{
		{"", "1.3.6.1.4.1.2011.2.23.95", "", "if-mib,system,huawei"},
		{"", ".1.3.6.1.4.1.2011.6.174.4.1.2.4", "", "if-mib,system,huawei-ups,ups-mib"},
		{"", "1.3.6.1.4.1.2011.10.1.5", "", "if-mib,system,h3c"},
		{"", "1.3.6.1.4.1.25506.11.1.24", "", "if-mib,system,h3c"},
		{"", "1.3.6.1.4.1.9.1.634", "", "if-mib,system,cisco"},
		{"", "1.3.6.1.4.1.318.1.3.27", "", "if-mib,system,apc"},
		{"", "1.3.6.1.4.1.476.1.42", "", "if-mib,system,liebert,ups-mib"},
		{"", "1.3.6.1.4.1.99999.1", "", "if-mib,system"},
		{"", "1.3.6.1.4.1.8072.3.2.10", "Huawei Versatile Routing Platform", "if-mib,system,huawei"},
		{"", "", "", "if-mib,system"},
		{"vertiv-dcs", "1.3.6.1.4.1.8072.3.2.10", "", "if-mib,system,vertiv-dcs"},
		{"apc, liebert", "", "", "if-mib,system,apc,liebert,ups-mib"},
	}
	for _, tc := range tests {
		got, err := ps.Select(tc.explicit, tc.oid, tc.descr)
		if err != nil {
			t.Fatalf("Select(%q,%q): %v", tc.explicit, tc.oid, err)
		}
		var names []string
		for _, p := range got {
			names = append(names, p.Name)
		}
		if g := strings.Join(names, ","); g != tc.want {
			t.Errorf("Select(%q, %q, %q) = %s, want %s", tc.explicit, tc.oid, tc.descr, g, tc.want)
		}
	}
	if _, err := ps.Select("no-such", "", ""); err == nil || !strings.Contains(err.Error(), `profile "no-such" is not defined`) {
		t.Errorf("unknown explicit profile: err = %v", err)
	}
}

// TestProfileDefaultsThenValidate pins the one explicit defaults step:
// decoding normalises OIDs and fills type and scale, and Validate afterwards
// changes nothing.
func TestProfileDefaultsThenValidate(t *testing.T) {
	p, err := ParseProfile("p.yml", []byte(`
name: p
match: {sys_object_id: [".1.3.6.1.4.1.99"], sys_descr: "^Acme"}
model: .1.3.6.1.4.1.99.1.0
scalars:
  - {name: acme_temp_celsius, oid: .1.3.6.1.4.1.99.2.0}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Match.SysObjectID[0]; got != "1.3.6.1.4.1.99" {
		t.Errorf("sys_object_id = %q, want the leading dot gone", got)
	}
	m := p.Scalars[0]
	if m.OID != "1.3.6.1.4.1.99.2.0" || m.Type != "gauge" || m.Scale != 1 {
		t.Errorf("scalar after defaults = oid %q type %q scale %v, want normalised gauge of scale 1", m.OID, m.Type, m.Scale)
	}
	before := fmt.Sprintf("%+v", *p)
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if after := fmt.Sprintf("%+v", *p); after != before {
		t.Errorf("Validate changed the profile:\nbefore %s\nafter  %s", before, after)
	}
}
