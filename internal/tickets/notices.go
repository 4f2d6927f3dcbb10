package tickets

import (
	"fmt"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/notify"
	"github.com/roomwatch/roomwatch/internal/sla"
)

// Notice kinds besides the escalation steps (warn, breach, escalate). They
// are claimed in the transaction that opens or dispatches the ticket, so a
// notice is never lost, and the escalator sends them on its next pass.
const (
	NoticeOpen      = "open"      // a new ticket (新工单)
	NoticeDispatch  = "dispatch"  // the ticket was dispatched (派单) to a person
	NoticeRecovered = "recovered" // the fault is over (故障恢复): recovered or resolved
	NoticeClosed    = "closed"    // the ticket was closed (工单关闭)
	// NoticeRejected: the customer rejected the fix (用户驳回) and the ticket
	// reopened; to the assignee and the project manager, once per rejection.
	NoticeRejected = "rejected"
)

// RoleGroup is the route name of the group channel (工作群) that hears of
// level III and IV tickets.
const RoleGroup = "group"

// assigneeRole is the notice role of a dispatch: "assignee:<name>".
const assigneeRole = "assignee:"

// OpenRoles returns who hears of a new ticket at once: levels I and II the
// engineer on duty and the project manager, levels III and IV the group
// channel (issue 13).
func OpenRoles(l Level) []string {
	if l == classify.LevelI || l == classify.LevelII {
		return []string{string(sla.Engineer), string(sla.ProjectManager)}
	}
	return []string{RoleGroup}
}

// nudge wakes the escalator for notices just claimed (after the commit).
func (s *Service) nudge() {
	if !s.o.Notices {
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// claimOpen records the new-ticket notices when notices are on.
func (s *Service) claimOpen(tx Tx, t *Ticket, now time.Time) error {
	if !s.o.Notices {
		return nil
	}
	return claimOpenNotices(tx, t, now)
}

// claimOpenNotices records the new-ticket notices of t (opened at now).
func claimOpenNotices(tx Tx, t *Ticket, now time.Time) error {
	for _, role := range OpenRoles(t.Level) {
		n := Notice{Key: fmt.Sprintf("%d/%s/%s", t.ID, NoticeOpen, role), TicketID: t.ID, Kind: NoticeOpen, Role: role, DueAt: now}
		if _, err := tx.ClaimNotice(n); err != nil {
			return fmt.Errorf("claim notice: %w", err)
		}
	}
	return nil
}

// claimStateNotice records, when notices are on, the notices of a ticket
// that recovered, was resolved or was closed (kind NoticeRecovered or
// NoticeClosed): to those who heard of it opening (OpenRoles). Each
// occurrence is its own notice (a reopened ticket recovers again).
func (s *Service) claimStateNotice(tx Tx, t *Ticket, kind string, now time.Time) error {
	if !s.o.Notices {
		return nil
	}
	for _, role := range OpenRoles(t.Level) {
		n := Notice{Key: fmt.Sprintf("%d/%s/%s/%d", t.ID, kind, role, now.UnixNano()), TicketID: t.ID, Kind: kind, Role: role, DueAt: now}
		if _, err := tx.ClaimNotice(n); err != nil {
			return fmt.Errorf("claim notice: %w", err)
		}
	}
	return nil
}

// claimDispatchNotice records the notice to the person t was dispatched to.
func claimDispatchNotice(tx Tx, t *Ticket, assignee string, now time.Time) error {
	n := Notice{Key: fmt.Sprintf("%d/%s/%d", t.ID, NoticeDispatch, now.UnixNano()), TicketID: t.ID, Kind: NoticeDispatch,
		Role: assigneeRole + assignee, DueAt: now}
	if _, err := tx.ClaimNotice(n); err != nil {
		return fmt.Errorf("claim notice: %w", err)
	}
	return nil
}

// RejectRoles returns who hears of a customer's rejection of ticket t: the
// assignee personally ("assignee:<name>", when the ticket has one) and the
// project manager.
func RejectRoles(t *Ticket) []string {
	var roles []string
	if t.Assignee != "" {
		roles = append(roles, assigneeRole+t.Assignee)
	}
	return append(roles, string(sla.ProjectManager))
}

// claimRejectNotices records the notices of a customer's rejection of t at
// now (in the transaction of the rejection): one per role and rejection.
func claimRejectNotices(tx Tx, t *Ticket, now time.Time) error {
	for _, role := range RejectRoles(t) {
		n := Notice{Key: fmt.Sprintf("%d/%s/%s/%d", t.ID, NoticeRejected, role, now.UnixNano()), TicketID: t.ID,
			Kind: NoticeRejected, Role: role, DueAt: now}
		if _, err := tx.ClaimNotice(n); err != nil {
			return fmt.Errorf("claim notice: %w", err)
		}
	}
	return nil
}

// personRoute returns the channels of a personal notice to who: the
// person's own (tickets.people), else the "assignee" route.
func (e *Escalator) personRoute(who string) ([]string, bool) {
	if ch := e.o.People[who]; len(ch) > 0 {
		return ch, true
	}
	if ch := e.o.Routes["assignee"]; len(ch) > 0 {
		return ch, true
	}
	return nil, false
}

// noticeRoute returns the event, the role shown and the channels of a notice
// (nil channels: every channel); ok=false when a personal notice has no
// channel for its person.
func (e *Escalator) noticeRoute(n Notice) (ev notify.Event, role string, channels []string, ok bool) {
	switch n.Kind {
	case NoticeOpen, NoticeRecovered, NoticeClosed:
		ev := map[string]notify.Event{NoticeOpen: notify.EventNew, NoticeRecovered: notify.EventRecovered, NoticeClosed: notify.EventClosed}[n.Kind]
		if n.Role == RoleGroup {
			return ev, "工作群", e.o.Routes[RoleGroup], true
		}
		return ev, sla.Role(n.Role).Chinese(), e.o.Routes[n.Role], true
	case NoticeDispatch:
		who := strings.TrimPrefix(n.Role, assigneeRole)
		ch, ok := e.personRoute(who)
		return notify.EventDispatch, who, ch, ok
	case NoticeRejected:
		if who, personal := strings.CutPrefix(n.Role, assigneeRole); personal {
			ch, ok := e.personRoute(who)
			return notify.EventRejected, who, ch, ok
		}
		return notify.EventRejected, sla.Role(n.Role).Chinese(), e.o.Routes[n.Role], true
	}
	return eventOf(n.Kind), sla.Role(n.Role).Chinese(), e.o.Routes[n.Role], true
}
