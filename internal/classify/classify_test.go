package classify

import (
	"os"
	"strings"
	"testing"
)

func shipped(t testing.TB) *Rules {
	t.Helper()
	r, err := Load("../../rules/fault-levels.yml")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestClassifyShipped(t *testing.T) {
	t.Parallel()
	r := shipped(t)
	tests := []struct {
		name   string
		labels map[string]string
		want   Result
	}{
		{"core switch down", map[string]string{"alertname": "NetworkDeviceDown", "class": "switch", "tier": "core", "severity": "critical"},
			Result{Level: LevelI, Category: CategoryRoomIT, Group: "network", Rule: "core-down", LevelFrom: "rule"}},
		{"ups on battery", map[string]string{"alertname": "UPSOnBattery", "class": "ups"},
			Result{Level: LevelI, Category: CategoryRoomInfra, Group: "facilities", Rule: "ups-on-battery", LevelFrom: "rule"}},
		{"ac critical", map[string]string{"alertname": "ACTemperatureHigh", "class": "ac", "severity": "critical"},
			Result{Level: LevelII, Category: CategoryRoomInfra, Group: "facilities", Rule: "infra-critical", LevelFrom: "rule"}},
		{"camera down", map[string]string{"alertname": "CameraOffline", "class": "camera"},
			Result{Level: LevelII, Category: CategoryFrontEnd, Group: "front-end", Rule: "camera-down", LevelFrom: "rule"}},
		{"fibre link", map[string]string{"alertname": "InterfaceDown", "link": "fibre", "class": "switch"},
			Result{Level: LevelII, Category: CategoryFibre, Group: "network", Rule: "fibre-link", LevelFrom: "rule"}},
		{"server warning", map[string]string{"alertname": "DiskNearlyFull", "class": "server", "severity": "warning"},
			Result{Level: LevelIII, Category: CategoryRoomIT, Group: "systems", Rule: "it-warning", LevelFrom: "rule"}},
		{"nothing matches", map[string]string{"alertname": "Question"},
			Result{Level: LevelIV, Category: CategoryRoomIT, Group: "duty", Rule: "default", LevelFrom: "default"}},
		// The fault_level label wins over the rule for the level only.
		{"label wins", map[string]string{"alertname": "CameraOffline", "class": "camera", "fault_level": "I"},
			Result{Level: LevelI, Category: CategoryFrontEnd, Group: "front-end", Rule: "camera-down", LevelFrom: "label"}},
		{"label in Chinese", map[string]string{"alertname": "Question", "fault_level": "紧急"},
			Result{Level: LevelI, Category: CategoryRoomIT, Group: "duty", Rule: "default", LevelFrom: "label"}},
		{"category and group labels", map[string]string{"alertname": "Question", "fault_category": "光纤网络", "handling_group": "vendor"},
			Result{Level: LevelIV, Category: CategoryFibre, Group: "vendor", Rule: "default", LevelFrom: "default"}},
		{"bad label ignored", map[string]string{"alertname": "UPSOnBattery", "class": "ups", "fault_level": "V"},
			Result{Level: LevelI, Category: CategoryRoomInfra, Group: "facilities", Rule: "ups-on-battery", LevelFrom: "rule",
				Warnings: []string{`label fault_level="V" ignored: invalid fault level "V": use I, II, III or IV`}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := r.Classify(tc.labels)
			if got.Level != tc.want.Level || got.Category != tc.want.Category || got.Group != tc.want.Group ||
				got.Rule != tc.want.Rule || got.LevelFrom != tc.want.LevelFrom || strings.Join(got.Warnings, "|") != strings.Join(tc.want.Warnings, "|") {
				t.Fatalf("Classify = %+v\n want %+v", got, tc.want)
			}
		})
	}
}

func TestFirstMatchWinsAndPartialRules(t *testing.T) {
	t.Parallel()
	r, err := Parse("r.yml", []byte(`
default: {level: IV, category: room_it, group: duty}
rules:
  - name: a
    match: ['site="s1", class="ups"']
    level: II
  - name: b
    match: ['class="ups"']
    level: I
    category: room_infra
    group: power
`))
	if err != nil {
		t.Fatal(err)
	}
	got := r.Classify(map[string]string{"site": "s1", "class": "ups"})
	// Rule a wins; it sets only the level, the rest comes from the default.
	if got.Rule != "a" || got.Level != LevelII || got.Category != CategoryRoomIT || got.Group != "duty" {
		t.Errorf("Classify = %+v", got)
	}
	got = r.Classify(map[string]string{"site": "s2", "class": "ups"})
	if got.Rule != "b" || got.Level != LevelI || got.Category != CategoryRoomInfra || got.Group != "power" {
		t.Errorf("Classify = %+v", got)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	head := "default: {level: IV, category: room_it, group: duty}\nrules:\n"
	tests := []struct{ in, want string }{
		{head + "  - name: a\n    match: ['class=\"ups']\n    level: I\n", "r.yml:4: bad matcher"},
		{head + "  - name: a\n    match: ['class=\"ups\"']\n    level: VI\n", `r.yml:5: invalid fault level "VI"`},
		{head + "  - name: a\n    match: ['class=\"ups\"']\n    category: garden\n", `r.yml:5: invalid equipment category "garden"`},
		{head + "  - name: a\n    level: I\n", "r.yml:3: rule \"a\" needs at least one matcher"},
		{head + "  - name: a\n    match: ['a=\"b\"']\n    levle: I\n", "r.yml:5: field levle not found"},
		{head + "  - name: a\n    match: ['a=\"b\"']\n  - name: a\n    match: ['a=\"c\"']\n", `r.yml:5: rule name "a" already used at line 3`},
		{"default: {level: IV}\n", "r.yml:1: default must set level, category and group (missing: category, group)"},
		{"rules: []\ndefault:\n  level: IV\n  category: room_it\n", "r.yml:3: default must set level, category and group (missing: group)"},
		{"default: {level: V, category: room_it, group: g}\n", `r.yml:1: invalid fault level "V"`},
		{"rules: []\n", "r.yml: default must set level, category and group (missing: level, category, group)"},
	}
	for _, tc := range tests {
		_, err := Parse("r.yml", []byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q)\n error = %v\n want %q", tc.in, err, tc.want)
		}
	}
}

func TestParseLevel(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Level{"I": LevelI, "ii": LevelII, "III级": LevelIII, "4": LevelIV, "较严重": LevelIII, "critical": LevelI, " IV ": LevelIV} {
		if got, err := ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "V", "0", "P1"} {
		if _, err := ParseLevel(in); err == nil {
			t.Errorf("ParseLevel(%q) succeeded", in)
		}
	}
	if LevelII.Label() != "II级 严重" || Level(7).String() != "Level(7)" || CategoryFrontEnd.Chinese() != "前端设备" {
		t.Error("names wrong")
	}
}

func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("../../rules/fault-levels.yml"); err == nil {
		f.Add(b, "camera", "CameraStreamFailed")
	}
	f.Add([]byte("default: {level: I, category: fibre, group: g}\nrules: [{name: x, match: ['a=~\"(\"']}]"), "x", "y")
	f.Fuzz(func(t *testing.T, data []byte, class, alertname string) {
		r, err := Parse("f.yml", data)
		if err != nil {
			return
		}
		res := r.Classify(map[string]string{"class": class, "alertname": alertname, "fault_level": class})
		if !res.Level.Valid() {
			t.Fatalf("invalid level %v from %+v", res.Level, res)
		}
	})
}
