package console

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// formPart sets the part a spare or repair form names: one of t's
// registered parts (part_id) or a new one (part, serial, location, cause).
// False when the form names neither or a part t does not have.
func formPart(f func(string) string, t *tickets.Ticket, req *tickets.ActionRequest) bool {
	if id := f("part_id"); id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || !slices.ContainsFunc(t.Parts, func(p tickets.Part) bool { return p.ID == n }) {
			return false
		}
		req.PartID = n
		return true
	}
	if f("part") == "" {
		return false
	}
	req.Part = &tickets.Part{Part: f("part"), Serial: f("serial"), Location: f("location"), Cause: f("cause")}
	return true
}

// actionRequest builds the ticket service's request from a ticket page's
// form for action a by u (the actor: the logged-in person). A form value
// the console itself checks and finds wrong returns its error key; the
// fields the service requires are checked by it (tickets.ErrInvalid).
func (c *Console) actionRequest(r *http.Request, u accounts.User, a tickets.Action, t *tickets.Ticket) (tickets.ActionRequest, string) {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	req := tickets.ActionRequest{Action: a, Actor: u.Name, Note: f("note")}
	switch a {
	case tickets.ActionDispatch:
		req.Assignee = f("assignee")
		people, _ := c.people(r)
		if req.Assignee == "" || (c.o.People != nil && !slices.ContainsFunc(people, func(p person) bool { return p.Name == req.Assignee })) {
			return req, "tickets.err.assignee"
		}
	case tickets.ActionResolve:
		req.Cause, req.Fix = f("cause"), f("fix")
	case tickets.ActionDiagnose:
		req.Text = f("text")
	case tickets.ActionPlan, tickets.ActionReport:
		req.Text, req.Attachment = f("text"), f("attachment")
		req.Emergency = a == tickets.ActionPlan && r.PostFormValue("emergency") != ""
	case tickets.ActionSpare:
		if !formPart(f, t, &req) {
			return req, "tickets.err.part_id"
		}
	case tickets.ActionRepairOut:
		req.RepairKind = tickets.RepairKind(f("repair_kind"))
		if !req.RepairKind.Valid() {
			return req, "tickets.err.repair_kind"
		}
		if !formPart(f, t, &req) {
			return req, "tickets.err.part_id"
		}
	case tickets.ActionFollowUp:
		n, err := strconv.Atoi(f("satisfaction"))
		if err != nil || n < 1 || n > 5 {
			return req, "tickets.err.satisfaction"
		}
		req.Satisfaction = n
	case tickets.ActionPause:
		req.Reason, req.AgreedBy = f("reason"), f("agreed_by")
	}
	// An engineer recording the customer's answer names the customer's
	// person; the customer answering himself is the actor.
	if slices.Contains(customerAnswers, a) && u.Role != auth.RoleCustomer {
		req.By = f("by")
	}
	return req, ""
}

// eventFacts are the fields of a milestone's event detail the timeline
// shows.
type eventFacts struct {
	Text         string `json:"text"`
	Attachment   string `json:"attachment"`
	Emergency    bool   `json:"emergency"`
	Satisfaction int    `json:"satisfaction"`
	Reason       string `json:"reason"`
	AgreedBy     string `json:"agreed_by"`
	Paused       string `json:"paused"`
	Part         string `json:"part"`
	Serial       string `json:"serial"`
	PartID       int64  `json:"part_id"`
	RepairKind   string `json:"repair_kind"`
}

// factsOf reads the milestone fields of e's detail (zero when none).
func factsOf(e tickets.Event) eventFacts {
	var f eventFacts
	switch tickets.Action(e.Kind) {
	case tickets.ActionDiagnose, tickets.ActionPlan, tickets.ActionReport, tickets.ActionSpare,
		tickets.ActionFollowUp, tickets.ActionPause, tickets.ActionResume,
		tickets.ActionRepairOut, tickets.ActionRepairBack:
		if e.Detail != "" {
			_ = json.Unmarshal([]byte(e.Detail), &f) // a detail not understood shows nothing
		}
	}
	return f
}

// silencedNow reports whether the events leave a maintenance window open
// on the ticket: a silenced event whose window has no silence_ended yet.
func silencedNow(evs []tickets.Event) bool {
	open := map[string]bool{}
	for _, e := range evs {
		var d struct {
			Silence string `json:"silence"`
		}
		switch e.Kind {
		case tickets.EventSilenced:
			_ = json.Unmarshal([]byte(e.Detail), &d)
			open[d.Silence] = true
		case tickets.EventSilenceEnds:
			_ = json.Unmarshal([]byte(e.Detail), &d)
			delete(open, d.Silence)
		}
	}
	return len(open) > 0
}
