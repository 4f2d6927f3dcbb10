package report

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/integrity"
	"github.com/roomwatch/roomwatch/internal/sla"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// hostileTitle must print as text in every format.
const hostileTitle = `核心交换机宕机 <script>alert(1)</script> {{.Bureau}}`

// faultProfile is the test contract with the resolve timer pausable.
const faultProfile = `name: test
title: 测试合同
calendars:
  always: {type: 24x7}
defaults:
  calendar: always
  warn: 0.8
  chain: [engineer]
  every: 1h
  pausable: [resolve]
timers:
  - {kind: respond, target: 30m}
  - {kind: dispatch, levels: [I, II], target: 1h}
  - {kind: onsite, levels: [I, II], target: 2h}
  - {kind: resolve, levels: [I], target: 12h}
  - {kind: resolve, levels: [II, III, IV], target: 48h}
  - {kind: report, levels: [I], target: 24h, from: resolved}
`

// faultTicket walks a level I ticket through its life on the fake clock:
// answered, dispatched, on site, diagnosed, an emergency plan, a pause the
// customer agreed to, a part, resolved 14 h after opening (12 h target, 1 h
// paused: breached by 1 h), the report, confirmation and follow-up, closed.
// It returns the ticket as the service shows it at the end, and the env.
func faultTicket(t *testing.T, title string, level classify.Level) (*tickets.Ticket, *ticketstest.Env) {
	t.Helper()
	ctx := context.Background()
	loc := ticketstest.Shanghai(t)
	p, err := sla.ParseProfile("fault.yml", []byte(faultProfile), sla.LoadOptions{Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	env := ticketstest.New(t, func(o *tickets.Options) { o.Policy = p })
	tk, err := env.Service.Create(ctx, tickets.Manual{Title: title, Description: "指挥中心视频调度全部中断",
		Level: level, Device: "core-sw1", Site: "hq", Channel: "phone", Reporter: "指挥中心 李警官", Actor: "duty-desk"})
	if err != nil {
		t.Fatal(err)
	}
	id := tk.ID
	step := func(d time.Duration, r tickets.ActionRequest) {
		t.Helper()
		env.Clock.Advance(d)
		if r.Actor == "" {
			r.Actor = "zhang"
		}
		if _, err := env.Service.Do(ctx, id, r); err != nil {
			t.Fatalf("%s: %v", r.Action, err)
		}
	}
	step(10*time.Minute, tickets.ActionRequest{Action: tickets.ActionAck})
	step(20*time.Minute, tickets.ActionRequest{Action: tickets.ActionDispatch, Assignee: "wang"})
	step(80*time.Minute, tickets.ActionRequest{Action: tickets.ActionOnSite, Actor: "duty-desk", By: "wang"})
	step(30*time.Minute, tickets.ActionRequest{Action: tickets.ActionDiagnose, Actor: "wang", Text: "主控板故障，交换机反复重启"})
	step(30*time.Minute, tickets.ActionRequest{Action: tickets.ActionPlan, Actor: "wang", Emergency: true,
		Text: "临时启用备用交换机 core-sw2 承载视频业务", Attachment: "应急方案-0303.docx"})
	step(time.Hour, tickets.ActionRequest{Action: tickets.ActionPlan, Actor: "wang", Text: "更换主控板，恢复原配置"})
	step(time.Hour, tickets.ActionRequest{Action: tickets.ActionPause, Actor: "wang", Reason: "等待厂家备件",
		AgreedBy: "信通科 王科长"})
	step(time.Hour, tickets.ActionRequest{Action: tickets.ActionResume, Actor: "wang"})
	step(2*time.Hour, tickets.ActionRequest{Action: tickets.ActionPart, Actor: "wang",
		Part: &tickets.Part{Part: "主控板 MPU", Serial: "SN-2025-0001", Location: "情指中心机房 A01", Cause: "主控板损坏"}})
	step(2*time.Hour, tickets.ActionRequest{Action: tickets.ActionRecover, Actor: "wang"})
	// 14 h after opening in all.
	step(14*time.Hour-(10+20+80+30+30)*time.Minute-7*time.Hour, tickets.ActionRequest{Action: tickets.ActionResolve, Actor: "wang",
		Cause: "主控板电容老化击穿", Fix: "更换主控板并恢复配置，业务切回"})
	step(3*time.Hour, tickets.ActionRequest{Action: tickets.ActionReport, Actor: "wang", Text: "已提交书面故障处理报告"})
	step(time.Hour, tickets.ActionRequest{Action: tickets.ActionConfirm, By: "信通科 王科长", Note: "业务已恢复正常"})
	step(24*time.Hour, tickets.ActionRequest{Action: tickets.ActionFollowUp, Satisfaction: 4, Note: "处理及时，希望缩短备件时间"})
	step(time.Hour, tickets.ActionRequest{Action: tickets.ActionClose})
	got, err := env.Service.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return got, env
}

// faultDocument builds the report of kind from the walked ticket.
func faultDocument(t *testing.T, kind FaultKind) *Document {
	t.Helper()
	tk, env := faultTicket(t, hostileTitle, classify.LevelI)
	ev, _, err := env.Store.Heads(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	d, err := TicketDocument(tk, kind, FaultOptions{Bureau: "某县公安局", Location: ticketstest.Shanghai(t),
		Generated: env.Clock.Now(), Anchors: []Anchor{{Chain: integrity.ChainTicketEvents, Seq: ev.ID, Hash: ev.Hash}}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestTicketReportsGolden(t *testing.T) {
	for _, tc := range []struct {
		kind   FaultKind
		golden string
		want   []string
	}{
		{FaultReport, "fault.golden.html", []string{"故障处理报告", "处理过程", "故障判断", "处理方案", "备件更换", "故障原因及处理方法", "合同时限", "用户确认及回访", "记录链头"}},
		{MajorReport, "major.golden.html", []string{"重大故障报告", "影响范围及故障损失", "应急方案", "根本原因分析", "预防措施", `class="blank"`}},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			d := faultDocument(t, tc.kind)
			var buf bytes.Buffer
			if err := d.WriteHTML(&buf); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.golden, buf.Bytes())
			html := buf.String()
			for _, w := range append(tc.want, "I级", "超时 breached", "1小时", "&lt;script&gt;", "{{.Bureau}}", "满意度 satisfaction 4/5") {
				if !strings.Contains(html, w) {
					t.Errorf("report lacks %q", w)
				}
			}
			if strings.Contains(html, "<script>") {
				t.Error("the hostile title printed as markup")
			}
		})
	}
}

// TestTicketReportTimers checks the figures the golden file shows: the
// resolve timer breached by 1 h (14 h taken, 12 h target, 1 h paused).
func TestTicketReportTimers(t *testing.T) {
	tk, _ := faultTicket(t, "timers", classify.LevelI)
	var found bool
	for _, v := range tk.TimerViews {
		if v.Name != tickets.TimerResolve {
			continue
		}
		found = true
		if v.BreachedBy == nil || time.Duration(*v.BreachedBy) != time.Hour {
			t.Errorf("resolve breached by %v, want 1h", v.BreachedBy)
		}
		if v.PausedFor == nil || time.Duration(*v.PausedFor) != time.Hour {
			t.Errorf("resolve paused for %v, want 1h", v.PausedFor)
		}
	}
	if !found {
		t.Fatal("no resolve timer")
	}
}

func TestMajorReportOnlyLevelI(t *testing.T) {
	tk, _ := faultTicket(t, "二级故障", classify.LevelII)
	if _, err := TicketDocument(tk, MajorReport, FaultOptions{}); !errors.Is(err, ErrNotMajor) {
		t.Errorf("major report of a level II ticket: %v, want ErrNotMajor", err)
	}
	if _, err := TicketDocument(tk, FaultReport, FaultOptions{}); err != nil {
		t.Errorf("fault report of a level II ticket: %v", err)
	}
	if _, err := ParseFaultKind("minor"); !errors.Is(err, ErrUnknownFaultKind) {
		t.Errorf("ParseFaultKind(minor): %v", err)
	}
}

func TestTicketReportExcel(t *testing.T) {
	d := faultDocument(t, MajorReport)
	var buf bytes.Buffer
	if err := d.WriteExcel(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	for _, want := range []string{"概况", "处理过程", "合同时限", "预防措施", "记录链头"} {
		if !contains(sheets, want) {
			t.Errorf("workbook lacks sheet %s: %v", want, sheets)
		}
	}
	title, _ := f.GetCellValue("概况", "B3")
	if !strings.Contains(title, "<script>") || !strings.Contains(title, "{{.Bureau}}") {
		t.Errorf("title cell %q: want the hostile title as plain text", title)
	}
	rows, err := f.GetRows("合同时限")
	if err != nil {
		t.Fatal(err)
	}
	var breached bool
	for _, r := range rows {
		if len(r) > 6 && strings.HasPrefix(r[0], "修复") && r[5] == "超时 breached" && r[6] == "1小时00分" {
			breached = true
		}
	}
	if !breached {
		t.Errorf("no resolve row breached by 1小时00分 in %q", rows)
	}
	blank, _ := f.GetCellValue("预防措施", "A3")
	if blank != blankLine {
		t.Errorf("预防措施 A3 = %q, want a blank line", blank)
	}
}

func contains(ss []string, s string) bool {
	for _, v := range ss {
		if v == s {
			return true
		}
	}
	return false
}
