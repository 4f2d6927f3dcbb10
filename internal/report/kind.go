package report

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Kind is one of the reports the contract asks for.
type Kind string

// The reports.
const (
	KindDaily     Kind = "daily"     // 运维日志
	KindMonthly   Kind = "monthly"   // 每月故障总结报告
	KindQuarterly Kind = "quarterly" // 季度运维报告
	KindAssets    Kind = "assets"    // 资产清单
	KindParts     Kind = "parts"     // 每周备件更换登记表
)

// Kinds lists the reports in the order they are offered.
func Kinds() []Kind { return []Kind{KindDaily, KindParts, KindMonthly, KindQuarterly, KindAssets} }

// PeriodParam is the name of the parameter (query parameter, CLI flag)
// that names a report's period: date, week, month or quarter; "" for the
// asset inventory (as of now).
func (k Kind) PeriodParam() string {
	switch k {
	case KindDaily:
		return "date"
	case KindParts:
		return "week"
	case KindMonthly:
		return "month"
	case KindQuarterly:
		return "quarter"
	}
	return ""
}

// ErrUnknownKind is returned for a report name that is not one of Kinds.
var ErrUnknownKind = errors.New("unknown report")

// ParseKind checks a report name.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds() {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("%w %q (want daily, parts, monthly, quarterly or assets)", ErrUnknownKind, s)
}

// PeriodOf returns the period of a report of kind k: value is the date
// (YYYY-MM-DD), ISO week (YYYY-Www), month (YYYY-MM) or quarter (YYYYQn);
// when empty, the last complete one before now (yesterday, last week, last
// month, last quarter). The asset inventory is as of now. Errors wrap
// ErrBadPeriod.
func PeriodOf(k Kind, value string, now time.Time, loc *time.Location) (Period, error) {
	now = now.In(loc)
	switch k {
	case KindDaily:
		if value == "" {
			value = now.AddDate(0, 0, -1).Format("2006-01-02")
		}
		return Day(value, loc)
	case KindParts:
		if value == "" {
			y, w := now.AddDate(0, 0, -7).ISOWeek()
			value = fmt.Sprintf("%d-W%02d", y, w)
		}
		return Week(value, loc)
	case KindMonthly:
		if value == "" {
			first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
			value = first.AddDate(0, -1, 0).Format("2006-01")
		}
		return Month(value, loc)
	case KindQuarterly:
		if value == "" {
			q, y := (int(now.Month())-1)/3-1, now.Year()
			if q < 0 {
				q, y = 3, y-1
			}
			value = fmt.Sprintf("%dQ%d", y, q+1)
		}
		return Quarter(value, loc)
	case KindAssets:
		return Period{Label: now.Format("2006-01-02")}, nil
	}
	return Period{}, fmt.Errorf("%w %q", ErrUnknownKind, k)
}

// Build gathers the report of kind k over p and lays it out as a document.
func (r *Reporter) Build(ctx context.Context, k Kind, p Period) (*Document, error) {
	switch k {
	case KindDaily:
		d, err := r.Daily(ctx, p)
		if err != nil {
			return nil, err
		}
		return d.Document(r), nil
	case KindMonthly:
		m, err := r.Monthly(ctx, p)
		if err != nil {
			return nil, err
		}
		return m.Document(r), nil
	case KindQuarterly:
		q, err := r.Quarterly(ctx, p)
		if err != nil {
			return nil, err
		}
		return q.Document(r), nil
	case KindParts:
		pr, err := r.Parts(ctx, p)
		if err != nil {
			return nil, err
		}
		return pr.Document(r), nil
	case KindAssets:
		a, err := r.Assets(ctx)
		if err != nil {
			return nil, err
		}
		return a.Document(r), nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownKind, k)
}
