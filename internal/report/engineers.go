package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/internal/tickets"
)

// EngineerStats is one person's work in a period, from the ticket timeline:
// what the contractor's engineers did, as the bureau assesses them.
type EngineerStats struct {
	Name     string
	Acks     int           // responses (acknowledge)
	AckMean  time.Duration // mean time from the ticket's opening to the response
	OnSite   int           // arrivals on site
	SiteMean time.Duration // mean time from the ticket's opening to the arrival
	Resolved int
	Closed   int
	Parts    int
	// Satisfaction is the mean follow-up score (1–5) of the tickets the
	// person resolved; Rated how many were rated.
	Satisfaction float64
	Rated        int
}

// isPerson reports whether an actor is a person, not the system (rules,
// escalation, the alert intake).
func isPerson(actor string) bool {
	return actor != "" && actor != "system" && !strings.HasPrefix(actor, "system:")
}

// engineerStats adds up the events of p per person (the worker when one was
// recorded, else the actor). Tickets are read once each for their opening.
func (r *Reporter) engineerStats(ctx context.Context, p Period) ([]EngineerStats, error) {
	if r.src.History == nil {
		return nil, nil
	}
	evs, err := r.src.History.EventsBetween(ctx, p.Start, p.End)
	if err != nil {
		return nil, fmt.Errorf("engineers: %w", err)
	}
	opened := map[int64]time.Time{}
	openedAt := func(id int64) (time.Time, bool, error) {
		if t, ok := opened[id]; ok {
			return t, !t.IsZero(), nil
		}
		if r.src.Tickets == nil {
			return time.Time{}, false, nil
		}
		t, err := r.src.Tickets.Get(ctx, id)
		if errors.Is(err, tickets.ErrNotFound) {
			opened[id] = time.Time{}
			return time.Time{}, false, nil
		}
		if err != nil {
			return time.Time{}, false, fmt.Errorf("engineers: ticket %d: %w", id, err)
		}
		opened[id] = t.OpenedAt
		return t.OpenedAt, true, nil
	}
	by := map[string]*EngineerStats{}
	resolver := map[int64]string{} // ticket → who resolved it, for the follow-up score
	var ackSum, siteSum = map[string]time.Duration{}, map[string]time.Duration{}
	var scores []struct {
		ticket int64
		score  float64
	}
	for _, e := range evs {
		if e.Kind == string(tickets.ActionFollowUp) {
			var d struct {
				Satisfaction float64 `json:"satisfaction"`
			}
			if json.Unmarshal([]byte(e.Detail), &d) == nil && d.Satisfaction >= 1 {
				scores = append(scores, struct {
					ticket int64
					score  float64
				}{e.TicketID, d.Satisfaction})
			}
			continue
		}
		who := e.By
		if who == "" {
			who = e.Actor
		}
		if !isPerson(who) {
			continue
		}
		s := by[who]
		if s == nil {
			s = &EngineerStats{Name: who}
			by[who] = s
		}
		switch e.Kind {
		case string(tickets.ActionAck), string(tickets.ActionOnSite):
			at, ok, err := openedAt(e.TicketID)
			if err != nil {
				return nil, err
			}
			if e.Kind == string(tickets.ActionAck) {
				s.Acks++
				if ok {
					ackSum[who] += e.At.Sub(at)
				}
			} else {
				s.OnSite++
				if ok {
					siteSum[who] += e.At.Sub(at)
				}
			}
		case string(tickets.ActionResolve):
			s.Resolved++
			resolver[e.TicketID] = who
		case string(tickets.ActionClose):
			s.Closed++
		case string(tickets.ActionPart):
			s.Parts++
		}
	}
	for _, sc := range scores {
		if s := by[resolver[sc.ticket]]; s != nil {
			s.Satisfaction += sc.score
			s.Rated++
		}
	}
	out := make([]EngineerStats, 0, len(by))
	for who, s := range by {
		if s.Acks > 0 {
			s.AckMean = ackSum[who] / time.Duration(s.Acks)
		}
		if s.OnSite > 0 {
			s.SiteMean = siteSum[who] / time.Duration(s.OnSite)
		}
		if s.Rated > 0 {
			s.Satisfaction /= float64(s.Rated)
		}
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// engineerSection lays the people's work out as a table.
func engineerSection(es []EngineerStats) Section {
	s := Section{Sheet: "工程师工作量", Title: "工程师工作量与服务质量", TitleEN: "Work and service quality per engineer",
		Columns: []Column{{Title: "工程师", TitleEN: "Engineer", Width: 14}, {Title: "响应次数", TitleEN: "Responses"},
			{Title: "平均响应", TitleEN: "Mean response", Width: 14}, {Title: "到场次数", TitleEN: "On site"},
			{Title: "平均到场", TitleEN: "Mean to site", Width: 14}, {Title: "修复", TitleEN: "Resolved"}, {Title: "关闭", TitleEN: "Closed"},
			{Title: "更换备件", TitleEN: "Parts"}, {Title: "回访满意度", TitleEN: "Satisfaction (1–5)", Width: 14}}}
	for _, e := range es {
		sat := any(Unknown{})
		if e.Rated > 0 {
			sat = fmt.Sprintf("%.1f（%d单）", e.Satisfaction, e.Rated)
		}
		s.Rows = append(s.Rows, []any{e.Name, e.Acks, durOrUnknown(e.AckMean, e.Acks), e.OnSite, durOrUnknown(e.SiteMean, e.OnSite),
			e.Resolved, e.Closed, e.Parts, sat})
	}
	s.Note = "按工单时间线统计当月每人的处理：经办人（由值班员代录时）或操作人；平均响应/到场为开单至该动作的平均时长；满意度为其修复工单的回访评分平均。"
	return s
}
