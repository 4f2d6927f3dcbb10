package tickets

import (
	"fmt"
	"strings"

	"github.com/roomwatch/roomwatch/internal/sla"
)

// Action is something a person (or the pipeline) does to a ticket.
type Action string

// Actions, as named in the API path POST /api/v1/tickets/{id}/{action}.
const (
	ActionAck      Action = "ack"
	ActionDispatch Action = "dispatch"
	ActionOnSite   Action = "onsite"
	ActionDiagnose Action = "diagnose" // 故障判断
	ActionPlan     Action = "plan"     // 提交方案 (or the emergency / second plan)
	ActionSpare    Action = "spare"    // 备件替换: a registered part is in place
	ActionRecover  Action = "recover"
	ActionResolve  Action = "resolve"
	ActionReport   Action = "report"   // 故障报告 submitted
	ActionConfirm  Action = "confirm"  // 用户确认: the customer accepts the fix
	ActionReject   Action = "reject"   // the customer rejects the fix: reopens
	ActionFollowUp Action = "followup" // 回访: satisfaction 1–5 and a comment
	ActionPause    Action = "pause"    // 挂起, with the customer's agreement
	ActionResume   Action = "resume"
	ActionClose    Action = "close"
	ActionReopen   Action = "reopen"
	ActionCancel   Action = "cancel"
	ActionNote     Action = "note"
	ActionPart     Action = "part"
	// ActionRepairOut (送修/返厂): a failed unit, registered as a part on
	// the ticket, is sent away for repair, local or to the factory; it
	// starts the repair timers of seed 003 (see repair.go).
	ActionRepairOut Action = "repair_out"
	// ActionRepairBack: the unit is back from repair.
	ActionRepairBack Action = "repair_back"
	// ActionRepairReport: a factory repair was reported to the bureau
	// (报业主确认).
	ActionRepairReport Action = "repair_report"
)

// Actions lists every action.
func Actions() []Action {
	return []Action{ActionAck, ActionDispatch, ActionOnSite, ActionDiagnose, ActionPlan, ActionSpare,
		ActionRecover, ActionResolve, ActionReport, ActionConfirm, ActionReject, ActionFollowUp,
		ActionPause, ActionResume, ActionClose, ActionReopen, ActionCancel, ActionNote, ActionPart,
		ActionRepairOut, ActionRepairBack, ActionRepairReport}
}

// transition is one row of the state machine.
type transition struct {
	from []State
	to   State // "" = the state does not change
	// milestone is the sla milestone the action is (it meets the timers whose
	// spec lists it, see sla.DefaultMetBy); "" for none.
	milestone string
}

var (
	active = []State{StateOpen, StateAcknowledged, StateDispatched, StateOnSite, StateReopened}
	// handling is where work on the fault goes on: active or recovered.
	handling = append(append([]State{}, active...), StateRecovered)
	// fixed is where the customer's part of the loop happens.
	fixed = []State{StateResolved, StateConfirmed}
)

// machine is the whole state machine.
var machine = map[Action]transition{
	ActionAck:      {from: []State{StateOpen, StateReopened}, to: StateAcknowledged, milestone: sla.MilestoneAck},
	ActionDispatch: {from: []State{StateOpen, StateReopened, StateAcknowledged}, to: StateDispatched, milestone: sla.MilestoneDispatch},
	ActionOnSite: {from: []State{StateOpen, StateReopened, StateAcknowledged, StateDispatched}, to: StateOnSite,
		milestone: sla.MilestoneOnSite},
	ActionDiagnose: {from: handling, milestone: sla.MilestoneDiagnose},
	ActionPlan:     {from: handling, milestone: sla.MilestonePlan},
	ActionSpare:    {from: handling, milestone: sla.MilestoneSpare},
	ActionRecover:  {from: active, to: StateRecovered, milestone: sla.MilestoneRecover},
	ActionResolve:  {from: handling, to: StateResolved, milestone: sla.MilestoneResolve},
	ActionReport:   {from: fixed, milestone: sla.MilestoneReport},
	ActionConfirm:  {from: []State{StateResolved}, to: StateConfirmed},
	ActionReject:   {from: fixed, to: StateReopened},
	ActionFollowUp: {from: []State{StateResolved, StateConfirmed, StateClosed}},
	ActionPause:    {from: handling},
	ActionResume:   {from: handling},
	ActionClose:    {from: fixed, to: StateClosed},
	ActionReopen:   {from: []State{StateRecovered, StateResolved, StateConfirmed, StateClosed}, to: StateReopened},
	ActionCancel:   {from: handling, to: StateCancelled},
	ActionNote:     {from: States()},
	ActionPart:     {from: States()},
	// A unit goes away for repair while the fault is handled or after it
	// is fixed (the spare is in place); it comes back whenever.
	ActionRepairOut:    {from: append(append([]State{}, handling...), fixed...)},
	ActionRepairBack:   {from: States(), milestone: sla.MilestoneRepairBack},
	ActionRepairReport: {from: States(), milestone: sla.MilestoneRepairReport},
}

// ParseAction checks an action name.
func ParseAction(s string) (Action, error) {
	a := Action(s)
	if _, ok := machine[a]; !ok {
		names := make([]string, 0, len(machine))
		for _, a := range Actions() {
			names = append(names, string(a))
		}
		return "", fmt.Errorf("%w: unknown action %q (known: %s)", ErrInvalid, s, strings.Join(names, ", "))
	}
	return a, nil
}

// Next returns the state after applying a in state s, or ErrInvalidTransition.
func Next(s State, a Action) (State, error) {
	tr, ok := machine[a]
	if !ok {
		return "", fmt.Errorf("%w: unknown action %q", ErrInvalid, a)
	}
	for _, f := range tr.from {
		if f == s {
			if tr.to == "" {
				return s, nil
			}
			return tr.to, nil
		}
	}
	return "", fmt.Errorf("%w: cannot %s a ticket that is %s", ErrInvalidTransition, a, s)
}

// Milestone returns the sla milestone action a is ("" for none). A plan
// submitted as the emergency plan is sla.MilestoneEmergencyPlan instead.
func Milestone(a Action) string { return machine[a].milestone }
