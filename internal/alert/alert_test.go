package alert

import (
	"testing"
	"time"
)

func TestFingerprintStableAndLabelBased(t *testing.T) {
	a := Alert{Labels: map[string]string{"alertname": "UPSOnBattery", "device": "ups-1"}}
	b := Alert{Labels: map[string]string{"device": "ups-1", "alertname": "UPSOnBattery"}, Annotations: map[string]string{"x": "y"}}
	c := Alert{Labels: map[string]string{"alertname": "UPSOnBattery", "device": "ups-2"}}
	if a.Fingerprint() != b.Fingerprint() {
		t.Error("same labels in another order must give the same fingerprint")
	}
	if a.Fingerprint() == c.Fingerprint() {
		t.Error("different labels must give different fingerprints")
	}

	if len(a.Fingerprint()) != 16 {
		t.Errorf("fingerprint %q is not 16 hex digits", a.Fingerprint())
	}
}

func TestStatus(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		ends time.Time
		want Status
	}{
		{time.Time{}, StatusFiring},
		{now.Add(time.Minute), StatusFiring},
		{now, StatusResolved},
		{now.Add(-time.Minute), StatusResolved},
	}
	for _, tc := range tests {
		if got := (Alert{EndsAt: tc.ends}).Status(now); got != tc.want {
			t.Errorf("EndsAt %v: status %s, want %s", tc.ends, got, tc.want)
		}
	}
}
