package report

import (
	"context"
	"fmt"
	"time"

	"github.com/roomwatch/roomwatch/internal/tickets"
)

// Quarterly is the quarterly device and system report (季度设备与系统管理报告):
// per device class its devices, availability and faults, the parts replaced,
// and the trend month by month.
type Quarterly struct {
	Period    Period
	Generated time.Time
	Months    []MonthTrend
	Classes   []QuarterClass
	Parts     []tickets.TicketPart
}

// MonthTrend is one month of the quarter.
type MonthTrend struct {
	Period       Period
	Faults       FaultStats
	Mean         MeanTimes
	Breached     int
	Availability float64 // mean over devices with data; -1 when none
	Inspections  InspectionStats
	Classes      []ClassAvail
}

// QuarterClass is one device class over the quarter.
type QuarterClass struct {
	Class        string
	Inventory    int
	Faults       int
	Availability []float64 // per month, -1 when no data
	Parts        int
}

// Quarterly gathers the quarterly report for p (a quarter, or any months).
func (r *Reporter) Quarterly(ctx context.Context, p Period) (*Quarterly, error) {
	q := &Quarterly{Period: p, Generated: r.o.Clock.Now()}
	classes := map[string]*QuarterClass{}
	get := func(c string) *QuarterClass {
		if classes[c] == nil {
			classes[c] = &QuarterClass{Class: c}
		}
		return classes[c]
	}
	for _, c := range r.cls {
		get(c).Inventory++
	}
	months := p.Months()
	for mi, mp := range months {
		r.progress("月份 month %s (%d/%d)", mp.Label, mi+1, len(months))
		ts, err := r.listTickets(ctx, mp)
		if err != nil {
			return nil, err
		}
		mt := MonthTrend{Period: mp, Faults: r.faultStats(ts), Availability: -1}
		mt.Mean, _ = meanTimes(ts)
		for _, t := range timerStats(ts) {
			mt.Breached += t.Breached
		}
		av, err := r.availability(ctx, mp)
		if err != nil {
			return nil, err
		}
		mt.Classes = r.byClass(av)
		if n, sum := availTotals(mt.Classes); n > 0 {
			mt.Availability = sum / float64(n)
		}
		if mt.Inspections, err = r.inspectionStats(ctx, mp); err != nil {
			return nil, err
		}
		for c, n := range mt.Faults.ByClass {
			get(c).Faults += n
		}
		for _, c := range mt.Classes {
			get(c.Class)
		}
		q.Months = append(q.Months, mt)
	}
	for _, qc := range classes {
		qc.Availability = make([]float64, len(months))
		for i, mt := range q.Months {
			qc.Availability[i] = -1
			for _, c := range mt.Classes {
				if c.Class == qc.Class && c.Devices > 0 {
					qc.Availability[i] = c.Availability
				}
			}
		}
	}
	if r.src.History != nil {
		parts, err := r.src.History.PartsBetween(ctx, p.Start, p.End)
		if err != nil {
			return nil, fmt.Errorf("parts: %w", err)
		}
		q.Parts = parts
		for _, pt := range parts {
			c := r.cls[pt.Device]
			if c == "" {
				c = "other"
			}
			get(c).Parts++
		}
	}
	for _, c := range sortedKeys(classes) {
		q.Classes = append(q.Classes, *classes[c])
	}
	sortClasses(q.Classes)
	return q, nil
}

func sortClasses(cs []QuarterClass) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && classOrder(cs[j].Class) < classOrder(cs[j-1].Class); j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

func pctOrUnknown(v float64) any {
	if v < 0 {
		return Unknown{}
	}
	return Pct(v)
}

// Document builds the quarterly report document.
func (q *Quarterly) Document(r *Reporter) *Document {
	d := &Document{Title: "季度设备与系统管理报告", TitleEN: "Quarterly device and system report", Bureau: r.o.Bureau,
		Period: q.Period.Label + "（" + r.periodText(q.Period) + "）", Generated: r.t(q.Generated), Sign: true}
	var faults, breached, due, done int
	for _, m := range q.Months {
		faults += m.Faults.Total
		breached += m.Breached
		due += m.Inspections.Due
		done += m.Inspections.doneInTime()
	}
	devices := 0
	for _, c := range q.Classes {
		devices += c.Inventory
	}
	compl := any(Unknown{})
	if due > 0 {
		compl = Pct(float64(done) / float64(due))
	}
	d.Summary = []Figure{
		{"台账设备数", "Devices in inventory", devices},
		{"故障总数", "Faults", faults},
		{"SLA超时次数", "SLA timers breached", breached},
		{"更换备件", "Parts replaced", len(q.Parts)},
		{"巡检完成率", "Inspection completion", compl},
	}
	cols := []Column{{Title: "设备类别", TitleEN: "Class", Width: 16}, {Title: "设备数", TitleEN: "Devices"}, {Title: "故障数", TitleEN: "Faults"},
		{Title: "更换备件", TitleEN: "Parts"}}
	for _, m := range q.Months {
		cols = append(cols, Column{Title: m.Period.Label + " 可用率", TitleEN: "Availability", Width: 14})
	}
	classes := Section{Sheet: "按设备类别", Title: "各类设备运行情况", TitleEN: "Per device class", Columns: cols}
	for _, c := range q.Classes {
		row := []any{classZH(c.Class), c.Inventory, c.Faults, c.Parts}
		for _, a := range c.Availability {
			row = append(row, pctOrUnknown(a))
		}
		classes.Rows = append(classes.Rows, row)
	}
	trend := Section{Sheet: "月度趋势", Title: "月度趋势", TitleEN: "Trend by month",
		Columns: []Column{{Title: "月份", TitleEN: "Month"}, {Title: "故障", TitleEN: "Faults"}, {Title: "I级", TitleEN: "I"}, {Title: "II级", TitleEN: "II"},
			{Title: "III级", TitleEN: "III"}, {Title: "IV级", TitleEN: "IV"}, {Title: "SLA超时", TitleEN: "Breaches"}, {Title: "MTTA"}, {Title: "MTTR"},
			{Title: "平均可用率", TitleEN: "Availability", Width: 14}, {Title: "巡检完成率", TitleEN: "Inspections", Width: 14}}}
	for _, m := range q.Months {
		f := m.Faults
		trend.Rows = append(trend.Rows, []any{m.Period.Label, f.Total, f.ByLevel[1], f.ByLevel[2], f.ByLevel[3], f.ByLevel[4], m.Breached,
			durOrUnknown(m.Mean.MTTA, m.Mean.NAcked), durOrUnknown(m.Mean.MTTR, m.Mean.NFixed), pctOrUnknown(m.Availability), Pct(m.Inspections.Completion())})
	}
	parts := Section{Sheet: "备件更换", Title: "备件更换记录", TitleEN: "Parts replaced",
		Columns: []Column{{Title: "时间", TitleEN: "At", Width: 17}, {Title: "单号", TitleEN: "Ticket"}, {Title: "设备", TitleEN: "Device", Width: 22},
			{Title: "备件", TitleEN: "Part", Width: 20}, {Title: "序列号", TitleEN: "Serial", Width: 16}, {Title: "位置", TitleEN: "Location", Width: 16},
			{Title: "原因", TitleEN: "Cause", Width: 24}, {Title: "处理人", TitleEN: "By"}}}
	for _, p := range q.Parts {
		parts.Rows = append(parts.Rows, []any{r.t(p.At), p.TicketID, r.displayName(p.Device), p.Part.Part, p.Serial, p.Location, p.Cause, p.Actor})
	}
	d.Sections = []Section{classes, trend, parts}
	return d
}
