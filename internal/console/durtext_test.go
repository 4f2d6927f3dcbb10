package console

import (
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/console/i18n"
)

// TestDurText: a pause under a second is "<1秒", not "0分0秒"; under a
// minute, seconds only.
func TestDurText(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	c := &Console{cat: cat}
	for _, tc := range []struct {
		d      time.Duration
		zh, en string
	}{
		{0, "0秒", "0s"},
		{300 * time.Millisecond, "<1秒", "<1s"},
		{999 * time.Millisecond, "<1秒", "<1s"},
		{time.Second, "1秒", "1s"},
		{40*time.Second + 400*time.Millisecond, "40秒", "40s"},
		{-40 * time.Second, "40秒", "40s"},
		{4*time.Minute + 10*time.Second, "4分10秒", "4m 10s"},
		{time.Hour + 5*time.Minute, "1小时5分", "1h 5m"},
		{51 * time.Hour, "2天3小时", "2d 3h"},
	} {
		if got := c.durText("zh-CN", tc.d); got != tc.zh {
			t.Errorf("durText(zh-CN, %v) = %q, want %q", tc.d, got, tc.zh)
		}
		if got := c.durText("en", tc.d); got != tc.en {
			t.Errorf("durText(en, %v) = %q, want %q", tc.d, got, tc.en)
		}
	}
}
