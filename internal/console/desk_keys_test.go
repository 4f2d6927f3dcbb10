package console

import (
	"testing"

	"github.com/roomwatch/roomwatch/internal/console/i18n"
	"github.com/roomwatch/roomwatch/internal/sla"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// TestDeskKeysExist: the keys the desk and ticket pages build at run time
// (states, levels, timers, their statuses, event kinds, categories,
// channels, actions) are in the catalogue in both languages.
func TestDeskKeysExist(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, s := range tickets.States() {
		keys = append(keys, "tickets.state."+string(s))
	}
	for _, l := range []string{"1", "2", "3", "4"} {
		keys = append(keys, "tickets.level."+l)
	}
	for _, k := range sla.Kinds() {
		keys = append(keys, "tickets.timer."+string(k))
	}
	for _, s := range []string{"waiting", "running", "warning", "paused", "met", "breached", "not_applicable"} { // TimerView.Status
		keys = append(keys, "tickets.tstatus."+s)
	}
	for _, k := range []string{tickets.EventOpened, tickets.EventAlert, tickets.EventAffected, tickets.EventRecurred,
		tickets.EventNotice, tickets.EventAutoClose, tickets.EventUnknown, tickets.EventKnown, tickets.EventLinked,
		tickets.EventLevel, tickets.EventSilenced, tickets.EventSilenceEnds} {
		keys = append(keys, "tickets.event."+k)
	}
	for _, a := range tickets.Actions() {
		keys = append(keys, "tickets.event."+string(a), "tickets.action."+string(a))
	}
	for _, c := range categoryNames() {
		keys = append(keys, "tickets.category."+c)
	}
	for _, ch := range channels {
		keys = append(keys, "tickets.channel."+ch)
	}
	keys = append(keys, "tickets.dur.dh", "tickets.dur.hm", "tickets.dur.ms")
	for _, s := range []string{"pending", "completed", "signed", "countersigned"} { // inspect.Summary.Status
		keys = append(keys, "desk.insp."+s)
	}
	for _, k := range keys {
		if !cat.Has(k) {
			t.Errorf("key %q is built at run time but missing from the catalogue", k)
		}
	}
}
