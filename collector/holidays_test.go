package collector

import (
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

func shippedSLA(t *testing.T) Config {
	t.Helper()
	cfg := bareConfig(t)
	on := true
	cfg.Tickets.Enabled = &on
	cfg.Tickets.Rules = filepath.Join("..", "rules", "fault-levels.yml")
	cfg.SLA.Dir = filepath.Join("..", "rules", "sla")
	cfg.SLA.Holidays = filepath.Join("..", "rules", "calendars", "cn-holidays.yml")
	return cfg
}

// TestHolidayYearsToWarn over the shipped calendar (2025 and 2026): the
// current year always, the next one from 1 November.
func TestHolidayYearsToWarn(t *testing.T) {
	t.Parallel()
	cfg := shippedSLA(t)
	l, err := cfg.SLA.Load()
	if err != nil {
		t.Fatal(err)
	}
	sh := l.Location
	for _, tc := range []struct {
		now  time.Time
		want []int
	}{
		{time.Date(2026, 6, 1, 12, 0, 0, 0, sh), nil},
		{time.Date(2026, 10, 31, 23, 59, 0, 0, sh), nil},
		{time.Date(2026, 11, 1, 0, 0, 0, 0, sh), []int{2027}},
		{time.Date(2026, 12, 6, 9, 0, 0, 0, sh), []int{2027}},
		{time.Date(2027, 3, 1, 9, 0, 0, 0, sh), []int{2027}},
		{time.Date(2027, 11, 2, 9, 0, 0, 0, sh), []int{2027, 2028}},
		{time.Date(2025, 11, 5, 9, 0, 0, 0, sh), nil},
	} {
		if got := HolidayYearsToWarn(l, tc.now); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.now.Format(time.DateTime), got, tc.want)
		}
	}
}

// TestServeWarnsOfMissingHolidayYear: started on 6 December 2026 with no
// 2027 calendar, serve says so on /-/ready (still 200) and in its metrics;
// started in June 2026 it says nothing.
func TestServeWarnsOfMissingHolidayYear(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		now  time.Time
		warn bool
	}{
		{time.Date(2026, 12, 6, 9, 0, 0, 0, time.FixedZone("CST", 8*3600)), true},
		{time.Date(2026, 6, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600)), false},
	} {
		_, base := startServeWith(t, Options{Config: shippedSLA(t), Clock: clockwork.NewFakeClockAt(tc.now), Logger: discard()})
		testutil.WaitHTTP(t, base+"/-/ready", 30*time.Second) // listening comes before ready
		code, body := get(t, base+"/-/ready")
		if code != http.StatusOK {
			t.Fatalf("/-/ready: %d %s", code, body)
		}
		if got := strings.Contains(body, "warning:") && strings.Contains(body, "2027"); got != tc.warn {
			t.Errorf("%s: /-/ready %q, want warning %v", tc.now, body, tc.warn)
		}
		_, metrics := get(t, base+"/metrics")
		if got := strings.Contains(metrics, `roomwatch_sla_holiday_calendar_missing{year="2027"} 1`); got != tc.warn {
			t.Errorf("%s: metric present %v, want %v", tc.now, got, tc.warn)
		}
	}
}
