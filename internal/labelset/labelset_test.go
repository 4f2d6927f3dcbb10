package labelset

import (
	"slices"
	"strings"
	"testing"
)

func TestSetTarget(t *testing.T) {
	t.Parallel()
	l := func(kv ...string) []Label {
		var out []Label
		for i := 0; i+1 < len(kv); i += 2 {
			out = append(out, Label{kv[i], kv[i+1]})
		}
		return out
	}
	for _, tc := range []struct {
		name                  string
		exposed, target, want []Label
	}{
		{"no clash", l("ifName", "eth0"), l("device", "sw1"), l("device", "sw1", "ifName", "eth0")},
		{"clash keeps the exposed value", l("device", "eth0"), l("device", "srv-01"), l("device", "srv-01", "exported_device", "eth0")},
		{"exported name taken by an exposed label", l("device", "eth0", "exported_device", "x"), l("device", "srv-01"),
			l("device", "srv-01", "exported_device", "x", "exported_exported_device", "eth0")},
		{"exported name taken by a target label", l("device", "eth0"), l("device", "srv-01", "exported_device", "t"),
			l("device", "srv-01", "exported_device", "t", "exported_exported_device", "eth0")},
		{"empty target value sets nothing", l("model", "X1"), l("model", ""), l("model", "X1")},
		{"empty exposed value is not exported", l("vendor", ""), l("vendor", "apc"), l("vendor", "apc")},
		{"two clashes", l("vendor", "a", "model", "b"), l("vendor", "V", "model", "M"),
			l("exported_model", "b", "exported_vendor", "a", "model", "M", "vendor", "V")},
		{"nothing exposed", nil, l("device", "d"), l("device", "d")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := SetTarget(slices.Clone(tc.exposed), tc.target)
			cmp := func(a, b Label) int { return strings.Compare(a.Name, b.Name) }
			slices.SortFunc(got, cmp)
			want := slices.Clone(tc.want)
			slices.SortFunc(want, cmp)
			if !slices.Equal(got, want) {
				t.Errorf("SetTarget(%v, %v) = %v, want %v", tc.exposed, tc.target, got, want)
			}
		})
	}
}
