package alert

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestCheckSize(t *testing.T) {
	t.Parallel()
	many := func(n int) map[string]string {
		m := map[string]string{}
		for i := range n {
			m[fmt.Sprintf("l%d", i)] = "v"
		}
		return m
	}
	tests := []struct {
		name        string
		labels, ann map[string]string
		url         string
		ok          bool
	}{
		{"typical", map[string]string{"alertname": "DeviceDown", "device": "cam-1"}, map[string]string{"summary": "down"}, "http://x/graph", true},
		{"at the label limit", many(MaxLabels), nil, "", true},
		{"too many labels", many(MaxLabels + 1), nil, "", false},
		{"100,000 labels", many(100_000), nil, "", false},
		{"long label value", map[string]string{"alertname": strings.Repeat("x", MaxLabelValueBytes+1)}, nil, "", false},
		{"long label name", map[string]string{strings.Repeat("x", MaxLabelNameBytes+1): "v"}, nil, "", false},
		{"too many annotations", nil, many(MaxAnnotations + 1), "", false},
		{"long annotation", nil, map[string]string{"description": strings.Repeat("x", MaxAnnotationBytes+1)}, "", false},
		{"long URL", nil, nil, strings.Repeat("x", MaxURLBytes+1), false},
	}
	for _, tc := range tests {
		err := CheckSize(tc.labels, tc.ann, tc.url)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrTooLarge)) {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
