package tickets

import (
	"fmt"
	"strings"
)

// Action is something a person (or the pipeline) does to a ticket.
type Action string

// Actions, as named in the API path POST /api/v1/tickets/{id}/{action}.
const (
	ActionAck      Action = "ack"
	ActionDispatch Action = "dispatch"
	ActionOnSite   Action = "onsite"
	ActionRecover  Action = "recover"
	ActionResolve  Action = "resolve"
	ActionClose    Action = "close"
	ActionReopen   Action = "reopen"
	ActionCancel   Action = "cancel"
	ActionNote     Action = "note"
	ActionPart     Action = "part"
)

// Actions lists every action.
func Actions() []Action {
	return []Action{ActionAck, ActionDispatch, ActionOnSite, ActionRecover, ActionResolve,
		ActionClose, ActionReopen, ActionCancel, ActionNote, ActionPart}
}

// transition is one row of the state machine.
type transition struct {
	from []State
	to   State // "" = the state does not change
	// stops lists the timers this milestone meets. Meeting a later milestone
	// also meets the earlier ones (dispatching a ticket answers it).
	stops []string
}

var active = []State{StateOpen, StateAcknowledged, StateDispatched, StateOnSite, StateReopened}

// machine is the whole state machine.
var machine = map[Action]transition{
	ActionAck:      {from: []State{StateOpen, StateReopened}, to: StateAcknowledged, stops: []string{TimerRespond}},
	ActionDispatch: {from: []State{StateOpen, StateReopened, StateAcknowledged}, to: StateDispatched, stops: []string{TimerRespond, TimerDispatch}},
	ActionOnSite: {from: []State{StateOpen, StateReopened, StateAcknowledged, StateDispatched}, to: StateOnSite,
		stops: []string{TimerRespond, TimerDispatch, TimerOnSite}},
	ActionRecover: {from: active, to: StateRecovered},
	ActionResolve: {from: append(append([]State{}, active...), StateRecovered), to: StateResolved,
		stops: []string{TimerRespond, TimerDispatch, TimerOnSite, TimerDiagnose, TimerPlan, TimerResolve, TimerSpare}},
	ActionClose:  {from: []State{StateResolved}, to: StateClosed},
	ActionReopen: {from: []State{StateRecovered, StateResolved, StateClosed}, to: StateReopened},
	ActionCancel: {from: append(append([]State{}, active...), StateRecovered), to: StateCancelled},
	ActionNote:   {from: States()},
	ActionPart:   {from: States()},
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

// Stops returns the timers meeting milestone a stops.
func Stops(a Action) []string { return machine[a].stops }
