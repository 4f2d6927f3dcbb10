package tickets

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/roomwatch/roomwatch/internal/notify"
)

// onDuty returns the recipients of notice n from the duty roster: the
// people on duty in its role at its due time. None for a dispatch (it has
// its person), for the group channel, without a roster, or when the roster
// fails (logged: the notice then goes to the role's channels as without a
// roster, rather than not at all).
func (e *Escalator) onDuty(ctx context.Context, n Notice) []notify.Recipient {
	if e.o.Duty == nil || n.Kind == NoticeDispatch || n.Role == RoleGroup {
		return nil
	}
	to, err := e.o.Duty.Recipients(ctx, n.DueAt, n.Role)
	if err != nil {
		e.o.Logger.Error("duty roster: who is on duty", "notice", n.Key, "role", n.Role, "err", err)
		return nil
	}
	return to
}

// recipientNames joins the names of the recipients for the history ("张三、李四").
func recipientNames(to []notify.Recipient) string {
	names := make([]string, len(to))
	for i, r := range to {
		names[i] = r.Label()
	}
	return strings.Join(names, "、")
}

// noticeDetail is the JSON detail of a notice attempt on the history; it
// names the roster's recipients (their login names) when there are any.
func noticeDetail(key string, a notify.Attempt, to []notify.Recipient) string {
	d := struct {
		Key     string       `json:"key"`
		Event   notify.Event `json:"event"`
		Channel string       `json:"channel"`
		Attempt int          `json:"attempt"`
		OK      bool         `json:"ok"`
		To      []string     `json:"to,omitempty"`
	}{Key: key, Event: a.Event, Channel: a.Channel, Attempt: a.Number, OK: a.OK}
	for _, r := range to {
		d.To = append(d.To, r.User)
	}
	b, _ := json.Marshal(d)
	return string(b)
}
