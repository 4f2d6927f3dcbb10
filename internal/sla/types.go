package sla

import (
	"fmt"
	"time"
)

// Kind names a timer.
type Kind string

// The timers the contracts use, in the order a ticket meets them.
const (
	Respond  Kind = "respond"  // 响应
	Dispatch Kind = "dispatch" // 派单
	OnSite   Kind = "onsite"   // 到场
	Diagnose Kind = "diagnose" // 故障判断
	Plan     Kind = "plan"     // 提交方案
	Resolve  Kind = "resolve"  // 修复
	Spare    Kind = "spare"    // 备件替换
	Report   Kind = "report"   // 故障报告 (counts from resolution)
	// Escalation (未解决升级) is the escalation clock of seed 001: an urgent
	// fault unresolved after 2 h is reported up the chain. Met by resolving.
	Escalation Kind = "escalation"
	// Emergency (应急方案 / 第二解决方案) is the fallback plan a contract asks
	// for when a fault is not fixed in time (seed 001: 16 h; seed 004: a
	// second plan). Met by a plan submitted as an emergency plan.
	Emergency Kind = "emergency"
	// Restore (恢复运行) is "service restored" (seed 004: within one working
	// day). Met by resolving, or by the fault recovering.
	Restore Kind = "restore"
	// Repair (送修返回) is seed 003's deadline for a failed unit sent away
	// for local repair (送修) to be back: 2 days. It counts from the
	// repair_out action of kind local and is met by repair_back.
	Repair Kind = "repair"
	// RepairFactory (返厂修复) is the deadline for a unit sent back to the
	// factory (返厂): seed 003 "在 5 个工作日后修理解决", on the working-day
	// calendar. From repair_out of kind factory; met by repair_back.
	RepairFactory Kind = "repair_factory"
	// RepairReport (返厂报业主确认) is seed 003's "若需送厂家修理，自更换后 2 个
	// 工作日内报业主确认": a factory repair is reported to the bureau within
	// 2 working days. From repair_out of kind factory; met by repair_report.
	RepairReport Kind = "repair_report"
)

// Kinds returns the timer kinds in display order.
func Kinds() []Kind {
	return []Kind{Respond, Dispatch, OnSite, Diagnose, Plan, Escalation, Emergency, Resolve, Restore, Spare, Report,
		Repair, RepairFactory, RepairReport}
}

// Milestones are the ticket events that meet timers: the names of the
// ticket actions (ack, dispatch, …) plus MilestoneEmergencyPlan, a plan
// submitted as the emergency or second plan.
const (
	MilestoneAck           = "ack"
	MilestoneDispatch      = "dispatch"
	MilestoneOnSite        = "onsite"
	MilestoneDiagnose      = "diagnose"
	MilestonePlan          = "plan"
	MilestoneEmergencyPlan = "emergency_plan"
	MilestoneSpare         = "spare"
	MilestoneRecover       = "recover"
	MilestoneResolve       = "resolve"
	MilestoneReport        = "report"
	// MilestoneRepairBack: the unit sent away for repair is back (repair_back).
	MilestoneRepairBack = "repair_back"
	// MilestoneRepairReport: a factory repair was reported to the bureau.
	MilestoneRepairReport = "repair_report"
)

// Milestones lists the milestone names a profile's met_by may use.
func Milestones() []string {
	return []string{MilestoneAck, MilestoneDispatch, MilestoneOnSite, MilestoneDiagnose, MilestonePlan,
		MilestoneEmergencyPlan, MilestoneSpare, MilestoneRecover, MilestoneResolve, MilestoneReport,
		MilestoneRepairBack, MilestoneRepairReport}
}

// DefaultMetBy returns the milestones that meet a timer of kind k when its
// spec names none. Answering is met by any handling step; the later steps of
// arrival (dispatch, on site) meet the earlier ones; every other timer is met
// by exactly its own milestone.
func DefaultMetBy(k Kind) []string {
	switch k {
	case Respond:
		return []string{MilestoneAck, MilestoneDispatch, MilestoneOnSite, MilestoneDiagnose, MilestonePlan,
			MilestoneEmergencyPlan, MilestoneSpare, MilestoneResolve}
	case Dispatch:
		return []string{MilestoneDispatch, MilestoneOnSite, MilestoneResolve}
	case OnSite:
		return []string{MilestoneOnSite, MilestoneResolve}
	case Diagnose:
		return []string{MilestoneDiagnose}
	case Plan:
		return []string{MilestonePlan}
	case Emergency:
		return []string{MilestoneEmergencyPlan}
	case Spare:
		return []string{MilestoneSpare}
	case Report:
		return []string{MilestoneReport}
	case Escalation:
		return []string{MilestoneResolve, MilestoneRecover}
	case Restore:
		return []string{MilestoneResolve, MilestoneRecover}
	case Repair, RepairFactory:
		return []string{MilestoneRepairBack}
	case RepairReport:
		return []string{MilestoneRepairReport}
	}
	return []string{MilestoneResolve}
}

// MeetsBy reports whether milestone m meets the timer of spec.
func (s TimerSpec) MeetsBy(m string) bool {
	mb := s.MetBy
	if len(mb) == 0 {
		mb = DefaultMetBy(s.Kind)
	}
	for _, v := range mb {
		if v == m {
			return true
		}
	}
	return false
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k.order() >= 0 }

func (k Kind) order() int {
	for i, v := range Kinds() {
		if v == k {
			return i
		}
	}
	return -1
}

// Chinese returns the Chinese name (响应, 派单, …).
func (k Kind) Chinese() string {
	switch k {
	case Respond:
		return "响应"
	case Dispatch:
		return "派单"
	case OnSite:
		return "到场"
	case Diagnose:
		return "故障判断"
	case Plan:
		return "提交方案"
	case Resolve:
		return "修复"
	case Spare:
		return "备件替换"
	case Report:
		return "故障报告"
	case Escalation:
		return "未解决升级"
	case Emergency:
		return "应急方案"
	case Restore:
		return "恢复运行"
	case Repair:
		return "送修返回"
	case RepairFactory:
		return "返厂修复"
	case RepairReport:
		return "返厂报业主确认"
	}
	return string(k)
}

// Anchor names the ticket event a timer counts from. The caller passes that
// event's stored time as startedAt.
type Anchor string

// Anchors.
const (
	FromOpened   Anchor = "opened"   // the ticket was opened (受理): the default
	FromOnSite   Anchor = "onsite"   // the engineer arrived
	FromResolved Anchor = "resolved" // the fault was resolved (report timers)
	// FromRepairOut: a failed unit was sent away for repair (repair_out);
	// only the timers of the repair's kind start (IsRepair).
	FromRepairOut Anchor = "repair_out"
)

// Valid reports whether a is a known anchor.
func (a Anchor) Valid() bool {
	return a == FromOpened || a == FromOnSite || a == FromResolved || a == FromRepairOut
}

// IsRepair reports whether k is one of the repair-return timers (they
// outlive the fault: the unit comes back after the ticket is resolved).
func (k Kind) IsRepair() bool { return k == Repair || k == RepairFactory || k == RepairReport }

// Role is a person in the escalation chain.
type Role string

// Roles of the contracts' escalation chain.
const (
	Engineer          Role = "engineer"           // 驻场工程师
	ProjectManager    Role = "project_manager"    // 项目经理
	TechnicalDirector Role = "technical_director" // 技术总监
	DeputyGM          Role = "deputy_gm"          // 技术副总
)

// Chinese returns the Chinese title of a known role, else the role itself.
func (r Role) Chinese() string {
	switch r {
	case Engineer:
		return "驻场工程师"
	case ProjectManager:
		return "项目经理"
	case TechnicalDirector:
		return "技术总监"
	case DeputyGM:
		return "技术副总"
	}
	return string(r)
}

// TimerSpec is one timer that applies to a ticket.
type TimerSpec struct {
	Kind Kind
	// Target is the allowed calendar time from the anchor to the stop event.
	Target time.Duration
	// Calendar names the profile calendar the target is measured on.
	Calendar string
	From     Anchor
	// Warn is the warning point as a fraction of Target (0 = no warning).
	Warn float64
	// Chain is the escalation chain, handler first.
	Chain []Role
	// Every is the escalation step after a breach (0 = one escalation only).
	Every time.Duration
	// Note is free text from the profile (the contract clause).
	Note string
	// Profile is the name of the profile the spec comes from (its calendar
	// is that profile's).
	Profile string `json:",omitempty"`
	// MetBy are the milestones that meet the timer; empty means
	// DefaultMetBy(Kind).
	MetBy []string `json:",omitempty"`
	// Pausable is true when an agreed pause (挂起) stops this timer.
	Pausable bool `json:",omitempty"`
}

// Run is what is stored of one timer on one ticket.
type Run struct {
	// Started is the time of the anchor event.
	Started time.Time
	// Met is when the timer's milestone happened (nil: not met).
	Met *time.Time
	// Ended is when the timer stopped without its milestone: the ticket
	// was resolved (the milestone no longer needed), closed or cancelled.
	Ended *time.Time
	// Paused is the calendar time of the pauses that are over.
	Paused time.Duration
	// PausedSince is the start of the pause in progress (nil: none).
	PausedSince *time.Time
	// Windows are the maintenance windows that cover the ticket, in any
	// order; they hold a Windowed timer (Counted). Folded pauses (Paused)
	// must leave out their time under these windows, so none counts twice.
	Windows []Interval
}

// TimerState is a timer evaluated at one instant.
type TimerState struct {
	Kind     Kind
	Started  time.Time
	Deadline time.Time
	// WarnAt is zero when the spec has no warning point.
	WarnAt time.Time
	// Elapsed is the calendar time used so far (until stop or now).
	Elapsed time.Duration
	// Remaining is Target − Elapsed in calendar time; negative once breached.
	Remaining time.Duration
	// Running is true when the timer has not stopped.
	Running bool
	// Met is true when it stopped at or before the deadline; MetAt is the stop.
	Met   bool
	MetAt *time.Time
	// Warned is true once WarnAt has passed while running.
	Warned bool
	// Breached is true once the deadline passed before the stop; BreachedBy is the
	// calendar time past the deadline (at stop, or at now while running).
	Breached   bool
	BreachedBy time.Duration
	// NotApplicable is true when the timer ended without its milestone before
	// its deadline (e.g. the fault was fixed before a spare was due).
	NotApplicable bool
	// Paused is true while an agreed pause holds the timer; PausedFor is the
	// calendar time paused so far (ended pauses and the one in progress).
	Paused    bool
	PausedFor time.Duration
	// WindowFor is the calendar time maintenance windows held the timer
	// (outside pauses) up to its stop or now.
	WindowFor time.Duration
}

// Status returns "met", "breached", "not_applicable", "paused", "warning"
// or "running" for display.
func (s TimerState) Status() string {
	switch {
	case s.Met:
		return "met"
	case s.Breached:
		return "breached"
	case s.NotApplicable:
		return "not_applicable"
	case s.Paused:
		return "paused"
	case s.Warned:
		return "warning"
	}
	return "running"
}

// StepKind is the kind of an escalation step.
type StepKind string

// Step kinds.
const (
	StepWarn     StepKind = "warn"
	StepBreach   StepKind = "breach"
	StepEscalate StepKind = "escalate"
)

// Step is one escalation step due on a timer.
type Step struct {
	Timer Kind
	// Index is 0 for the warning, 1 for the breach, k+1 for the k-th escalation
	// after the breach. (Timer, Index) identifies a step for send-once bookkeeping.
	Index int
	Kind  StepKind
	Role  Role
	At    time.Time
}

// Key returns "respond/1": a stable key to record that a step was handled.
func (s Step) Key() string { return fmt.Sprintf("%s/%d", s.Timer, s.Index) }

// String describes the step for logs.
func (s Step) String() string {
	return fmt.Sprintf("%s %s → %s at %s", s.Timer, s.Kind, s.Role, s.At.Format(time.RFC3339))
}
