package collector

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roomwatch/roomwatch/internal/sla"
)

// HolidayYearsToWarn returns the years whose holiday calendar is missing and
// worth a warning at now: the current year always, the next year from
// 1 November (the State Council publishes it each November, and working-day
// SLA timers of January need it).
func HolidayYearsToWarn(l *sla.Loaded, now time.Time) []int {
	now = now.In(l.Location)
	var out []int
	for _, y := range l.MissingHolidayYears(now) {
		if y == now.Year() || (y == now.Year()+1 && now.Month() >= time.November) {
			out = append(out, y)
		}
	}
	return out
}

// HolidayWarning is the message for missing years, in both languages.
func HolidayWarning(years []int, file string) string {
	ys := make([]string, len(years))
	for i, y := range years {
		ys[i] = strconv.Itoa(y)
	}
	return fmt.Sprintf("节假日日历缺少 %s 年的放假调休安排，按工作日计算的 SLA 计时将把节假日当作工作日；请在 %s 中补充 / the holiday calendar lacks %s: working-day SLA timers would count holidays as working days; add the year to %s",
		strings.Join(ys, "、"), file, strings.Join(ys, ", "), file)
}

// wireHolidayWatch checks the holiday calendar at start and then daily: a
// missing year is logged, shown on /-/ready and exported as
// roomwatch_sla_holiday_calendar_missing{year}.
func wireHolidayWatch(s *Server, l *sla.Loaded) error {
	missing := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "roomwatch_sla_holiday_calendar_missing",
		Help: "1 for a year (this or, from November, next) that the holiday calendar lacks; working-day SLA timers then count its holidays as working days.",
	}, []string{"year"})
	if err := s.reg.Register(missing); err != nil {
		return fmt.Errorf("holiday calendar: %w", err)
	}
	check := func() {
		years := HolidayYearsToWarn(l, s.opts.Clock.Now())
		missing.Reset()
		var warns []string
		if len(years) > 0 {
			msg := HolidayWarning(years, s.cfg.SLA.Holidays)
			s.log.Warn(msg)
			warns = append(warns, msg)
			for _, y := range years {
				missing.WithLabelValues(strconv.Itoa(y)).Set(1)
			}
		}
		s.setWarnings("holidays", warns)
	}
	check()
	s.Go(func(ctx context.Context) error {
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-s.opts.Clock.After(24 * time.Hour):
				check()
			}
		}
	})
	return nil
}

// setWarnings replaces the standing warnings of one source (holidays, tsdb…).
func (s *Server) setWarnings(source string, w []string) { s.warns.set(source, w) }

func (s *Server) warnings() []string { return s.warns.all() }
