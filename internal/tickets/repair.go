package tickets

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/internal/sla"
)

// RepairKind is how a failed unit is repaired (seed 003 lines 697–699).
type RepairKind string

// Repair kinds.
const (
	RepairLocal   RepairKind = "local"   // 送修: repaired nearby, back within 2 days
	RepairFactory RepairKind = "factory" // 返厂: sent to the factory, 5 working days, reported in 2
)

// Valid reports whether k is a known repair kind.
func (k RepairKind) Valid() bool { return k == RepairLocal || k == RepairFactory }

// Chinese returns the kind's name on screen.
func (k RepairKind) Chinese() string {
	switch k {
	case RepairLocal:
		return "送修"
	case RepairFactory:
		return "返厂"
	}
	return string(k)
}

// repairTimers returns the timer kinds a repair of kind k starts.
func repairTimers(k RepairKind) []sla.Kind {
	if k == RepairFactory {
		return []sla.Kind{sla.RepairFactory, sla.RepairReport}
	}
	return []sla.Kind{sla.Repair}
}

// repairOut sends the failed unit (a part registered on t, or registered
// now) away for repair at at and starts the repair timers the ticket's
// profile has for the kind (anchor repair_out). A ticket holds one unit
// away at a time: its repair timers are per ticket.
func (s *Service) repairOut(tx *auditTx, t *Ticket, r ActionRequest, at time.Time, kv *[]any) error {
	if p := t.RepairAway(); p != nil {
		return fmt.Errorf("%w: part %d (%s) is still away for repair; record repair_back first",
			ErrInvalidTransition, p.ID, p.Part)
	}
	var p Part
	if r.Part != nil {
		p = *r.Part
		p.At, p.Actor = at, r.Actor
		p.By = strings.TrimSpace(or(p.By, r.By))
		id, err := tx.AddPart(t.ID, p)
		if err != nil {
			return err
		}
		p.ID = id
	} else {
		i := slices.IndexFunc(t.Parts, func(p Part) bool { return p.ID == r.PartID })
		if i < 0 {
			return fmt.Errorf("%w: part %d is not registered on ticket %d", ErrInvalid, r.PartID, t.ID)
		}
		p = t.Parts[i]
		if at.Before(p.At) {
			return fmt.Errorf("%w: at is before the part was replaced", ErrInvalid)
		}
	}
	a := at
	p.RepairKind, p.RepairOut, p.RepairBack = r.RepairKind, &a, nil
	if err := tx.SetPartRepair(t.ID, p); err != nil {
		return err
	}
	var started []string
	for _, k := range repairTimers(r.RepairKind) {
		tm := t.Timer(string(k))
		if tm == nil || tm.Spec.From != sla.FromRepairOut {
			continue
		}
		st := at
		tm.StartedAt, tm.MetAt, tm.EndedAt, tm.Paused, tm.PausedAt = &st, nil, nil, 0, nil
		started = append(started, string(k))
	}
	*kv = append(*kv, "part_id", p.ID, "part", p.Part, "repair_kind", string(r.RepairKind), "started", started)
	return nil
}

// repairBack records that the unit away for repair is back at at; the
// repair_back milestone then meets the return timer.
func (s *Service) repairBack(tx *auditTx, t *Ticket, at time.Time, kv *[]any) error {
	away := t.RepairAway()
	if away == nil {
		return fmt.Errorf("%w: no part of ticket %d is away for repair", ErrInvalidTransition, t.ID)
	}
	p := *away
	if at.Before(*p.RepairOut) {
		return fmt.Errorf("%w: at is before the part was sent for repair", ErrInvalid)
	}
	b := at
	p.RepairBack = &b
	if err := tx.SetPartRepair(t.ID, p); err != nil {
		return err
	}
	*kv = append(*kv, "part_id", p.ID, "part", p.Part, "repair_kind", string(p.RepairKind))
	return nil
}

// RepairAway returns the part of t away for repair (sent, not back), or nil.
func (t *Ticket) RepairAway() *Part {
	for i := range t.Parts {
		if t.Parts[i].RepairOut != nil && t.Parts[i].RepairBack == nil {
			return &t.Parts[i]
		}
	}
	return nil
}

// FactoryRepair reports whether a part of t was sent to the factory (返厂).
func (t *Ticket) FactoryRepair() bool {
	return slices.ContainsFunc(t.Parts, func(p Part) bool { return p.RepairKind == RepairFactory })
}
