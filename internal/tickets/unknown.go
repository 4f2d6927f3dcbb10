package tickets

import (
	"fmt"
	"time"

	"github.com/roomwatch/roomwatch/internal/alert"
)

// unknownOne applies a resolve that the rule engine marked data-absent
// (alert.AnnotationDataAbsent): the alert ended because the device fell
// silent, not because fresh data showed the fault gone. Its ticket stays
// open, is marked 设备失联/状态未知 with the time, and is linked to the
// device's reachability ticket when there is one (linkUnknown links it when
// that ticket opens later). The alert keeps counting as firing, so the
// ticket recovers only when a normal resolve (fresh data) arrives.
func (s *Service) unknownOne(tx *auditTx, a *alert.Alert, rec *AlertRecord, now time.Time, res *IngestResult) (int64, error) {
	if rec.Unknown {
		res.Updated++ // a resend of the same data-absent resolve
		return rec.TicketID, nil
	}
	ends := a.EndsAt
	if ends.IsZero() || ends.After(now) {
		ends = now
	}
	rec.Unknown, rec.LastSeen = true, now
	if err := tx.PutAlert(*rec); err != nil {
		return 0, err
	}
	t, err := tx.Get(rec.TicketID)
	if err != nil {
		return 0, err
	}
	res.Updated++
	if !t.State.Active() {
		return t.ID, nil
	}
	actor := actorOf(a)
	if err := tx.AddEvent(t.ID, Event{At: now, Actor: actor, Kind: EventUnknown,
		Note: fmt.Sprintf("%s：%s 的数据自 %s 起中断，故障是否仍在未知 data of %s vanished at %s; whether the fault persists is unknown",
			UnknownMark, a.Name(), ends.In(s.o.Location).Format(time.RFC3339), a.Name(), ends.In(s.o.Location).Format(time.RFC3339))}); err != nil {
		return 0, err
	}
	if t.UnknownSince == nil {
		t.UnknownSince = &ends
	}
	t.UpdatedAt = now
	if t.LinkedTo == 0 && !t.Reach {
		pt, err := tx.ActiveReachability(t.Device)
		if err != nil {
			return 0, err
		}
		if pt != nil && pt.ID != t.ID {
			if err := s.link(tx, t, pt, now, actor); err != nil {
				return 0, err
			}
		}
	}
	return t.ID, tx.Save(t)
}

// linkUnknown links the device's open tickets marked unknown (and not yet
// linked) to its new reachability ticket rt.
func (s *Service) linkUnknown(tx *auditTx, rt *Ticket, now time.Time, actor string) error {
	if rt.Device == "" {
		return nil
	}
	ts, err := tx.UnknownTickets(rt.Device)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if t.ID == rt.ID || t.Reach {
			continue
		}
		if err := s.link(tx, t, rt, now, actor); err != nil {
			return err
		}
		t.UpdatedAt = now
		if err := tx.Save(t); err != nil {
			return err
		}
	}
	return nil
}

// link records on both tickets that t (unknown) waits on the reachability
// ticket rt; the caller saves t.
func (s *Service) link(tx *auditTx, t, rt *Ticket, now time.Time, actor string) error {
	t.LinkedTo = rt.ID
	if err := tx.AddEvent(t.ID, Event{At: now, Actor: actor, Kind: EventLinked,
		Note: fmt.Sprintf("关联设备失联工单 #%d linked to reachability ticket #%d (%s)", rt.ID, rt.ID, rt.Title)}); err != nil {
		return err
	}
	return tx.AddEvent(rt.ID, Event{At: now, Actor: actor, Kind: EventLinked,
		Note: fmt.Sprintf("工单 #%d 状态未知，等待本工单 ticket #%d (%s) waits on this one: its state is unknown", t.ID, t.ID, t.Title)})
}

// known notes on ticket id that fresh data came back for an alert whose data
// had vanished, and clears the ticket's unknown mark once none is left.
func (s *Service) known(tx *auditTx, id int64, now time.Time, actor, note string) error {
	t, err := tx.Get(id)
	if err != nil {
		return err
	}
	if err := tx.AddEvent(id, Event{At: now, Actor: actor, Kind: EventKnown, Note: note}); err != nil {
		return err
	}
	n, err := tx.UnknownAlerts(id)
	if err != nil || n > 0 || t.UnknownSince == nil {
		return err
	}
	t.UnknownSince = nil
	t.UpdatedAt = now
	return tx.Save(t)
}
