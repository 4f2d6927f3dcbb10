package report

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/roomwatch/roomwatch/internal/tickets"
)

// PartsRegister is the weekly register of replaced units (每周备件更换登记表,
// seed 003: every unit taken out is registered with the fault's time, the
// installation place, the symptom, the cause, what was done and how the
// repair stands, and the register goes to the bureau each week).
type PartsRegister struct {
	Period    Period
	Generated time.Time
	Rows      []PartRow
}

// PartRow is one replaced unit with its ticket.
type PartRow struct {
	tickets.TicketPart
	Ticket *tickets.Ticket // nil when the ticket is no longer readable
}

// Parts gathers the units replaced in p.
func (r *Reporter) Parts(ctx context.Context, p Period) (*PartsRegister, error) {
	pr := &PartsRegister{Period: p, Generated: r.o.Clock.Now()}
	if r.src.History == nil {
		return pr, nil
	}
	parts, err := r.src.History.PartsBetween(ctx, p.Start, p.End)
	if err != nil {
		return nil, fmt.Errorf("parts: %w", err)
	}
	byID := map[int64]*tickets.Ticket{}
	for _, pt := range parts {
		row := PartRow{TicketPart: pt}
		if r.src.Tickets != nil {
			t, ok := byID[pt.TicketID]
			if !ok {
				t, err = r.src.Tickets.Get(ctx, pt.TicketID)
				if err != nil && !errors.Is(err, tickets.ErrNotFound) {
					return nil, fmt.Errorf("parts: ticket %d: %w", pt.TicketID, err)
				}
				byID[pt.TicketID] = t
			}
			row.Ticket = t
		}
		pr.Rows = append(pr.Rows, row)
	}
	return pr, nil
}

// Document lays the register out with the columns seed 003 names.
func (pr *PartsRegister) Document(r *Reporter) *Document {
	doc := &Document{Title: "每周备件更换登记表", TitleEN: "Weekly register of replaced units", Bureau: r.o.Bureau,
		Period: r.periodText(pr.Period), Generated: r.t(pr.Generated), Sign: true}
	ids := map[int64]bool{}
	for _, row := range pr.Rows {
		ids[row.TicketID] = true
	}
	doc.Summary = []Figure{{"更换件数", "Units replaced", len(pr.Rows)}, {"涉及工单", "Tickets", len(ids)}}
	s := Section{Sheet: "备件更换登记", Title: "备件更换登记", TitleEN: "Replaced units",
		Columns: []Column{{Title: "序号", TitleEN: "No."}, {Title: "故障时间", TitleEN: "Fault at", Width: 17},
			{Title: "安装地点", TitleEN: "Installed at", Width: 24}, {Title: "设备", TitleEN: "Device", Width: 22},
			{Title: "更换部件", TitleEN: "Unit", Width: 18}, {Title: "序列号", TitleEN: "Serial", Width: 18},
			{Title: "故障现象", TitleEN: "Symptom", Width: 30}, {Title: "故障原因", TitleEN: "Cause", Width: 24},
			{Title: "处理结果", TitleEN: "Action taken", Width: 24}, {Title: "修复情况", TitleEN: "Repair status", Width: 12},
			{Title: "更换时间", TitleEN: "Replaced at", Width: 17}, {Title: "更换人", TitleEN: "By", Width: 12}, {Title: "单号", TitleEN: "Ticket"}}}
	for i, row := range pr.Rows {
		faultAt, symptom, fix, state := "", row.Title, "", ""
		if t := row.Ticket; t != nil {
			faultAt, fix, state = r.t(t.OpenedAt), t.Fix, t.State.Chinese()
			if t.Description != "" {
				symptom = t.Title + "：" + t.Description
			}
		}
		// A unit sent away for repair (seed 003 lines 694–699): where its
		// repair stands, instead of the ticket's state.
		if row.RepairOut != nil {
			state = row.RepairKind.Chinese() + " " + r.t(*row.RepairOut)
			if row.RepairBack != nil {
				state += " 已返回 " + r.t(*row.RepairBack)
			} else {
				state += " 维修中"
			}
		}
		place := row.Location
		if place == "" {
			place = r.placeOf(row.Device)
		}
		cause := row.Cause
		if cause == "" && row.Ticket != nil {
			cause = row.Ticket.Cause
		}
		by := row.By
		if by == "" {
			by = row.Actor
		}
		s.Rows = append(s.Rows, []any{i + 1, faultAt, place, r.displayName(row.Device), row.Part.Part, row.Serial,
			symptom, cause, fix, state, r.t(row.At), by, row.TicketID})
	}
	doc.Sections = []Section{s}
	return doc
}

// placeOf is where the inventory says a device is installed: site, room,
// rack, location.
func (r *Reporter) placeOf(dev string) string {
	t, ok := r.inv[dev]
	if !ok {
		return ""
	}
	d := t.Device
	out := ""
	for _, v := range []string{d.Site, d.Room, d.Rack, d.Location} {
		if v != "" {
			if out != "" {
				out += " "
			}
			out += v
		}
	}
	return out
}
