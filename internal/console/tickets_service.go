package console

import (
	"context"
	"slices"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// Tickets is what the duty desk and the ticket pages need of the ticket
// service (*tickets.Service).
type Tickets interface {
	List(ctx context.Context, f tickets.Filter) ([]tickets.Ticket, error)
	Get(ctx context.Context, id int64) (*tickets.Ticket, error)
	Do(ctx context.Context, id int64, r tickets.ActionRequest) (*tickets.Ticket, error)
	Create(ctx context.Context, m tickets.Manual) (*tickets.Ticket, error)
	// Subscribe delivers committed changes (the desk's server-sent events).
	Subscribe(buf int) *tickets.Subscription
	// ChangeSeq counts committed changes (the desk panel's cache key).
	ChangeSeq() uint64
}

// People lists the accounts a ticket can be dispatched to (*accounts.Store).
type People interface {
	List(ctx context.Context) ([]accounts.User, error)
}

// Inspections lists inspection runs (*inspect.Store), for the desk's
// "today's inspections".
type Inspections interface {
	List(ctx context.Context, f inspect.Filter) ([]inspect.Summary, error)
}

// DeviceLookup gives a device's site and class (the inventory), for the
// desk's "devices down by site and class".
type DeviceLookup interface {
	Device(name string) (site, class, parent string, ok bool)
}

// actionRole is the role each console action needs; the same as the
// ticket API's (internal/tickets/api): engineers act on tickets (the
// contract milestones too), managers also reopen and cancel. The duty
// operator (viewer) acts on none; the customer only gives the customer's
// answers (customerAnswers). Both may register a reported fault
// (registerRole).
var actionRole = map[tickets.Action]auth.Role{
	tickets.ActionAck: auth.RoleEngineer, tickets.ActionDispatch: auth.RoleEngineer, tickets.ActionOnSite: auth.RoleEngineer,
	tickets.ActionDiagnose: auth.RoleEngineer, tickets.ActionPlan: auth.RoleEngineer, tickets.ActionSpare: auth.RoleEngineer,
	tickets.ActionPause: auth.RoleEngineer, tickets.ActionResume: auth.RoleEngineer,
	tickets.ActionResolve: auth.RoleEngineer, tickets.ActionReport: auth.RoleEngineer,
	tickets.ActionConfirm: auth.RoleEngineer, tickets.ActionReject: auth.RoleEngineer, tickets.ActionFollowUp: auth.RoleEngineer,
	tickets.ActionClose: auth.RoleEngineer, tickets.ActionNote: auth.RoleEngineer,
	tickets.ActionRepairOut: auth.RoleEngineer, tickets.ActionRepairBack: auth.RoleEngineer,
	tickets.ActionRepairReport: auth.RoleEngineer,
	tickets.ActionReopen:       auth.RoleManager, tickets.ActionCancel: auth.RoleManager,
}

// customerAnswers are the customer's side of the loop (用户确认, 驳回, 回访):
// the customer's representative gives them on the console for a ticket of
// his sites, or an engineer records them for the customer, naming the
// customer's person (by), as docs/tickets.md has the API do.
var customerAnswers = []tickets.Action{tickets.ActionConfirm, tickets.ActionReject, tickets.ActionFollowUp}

// consoleActions are the actions offered as buttons, in order.
var consoleActions = []tickets.Action{tickets.ActionAck, tickets.ActionDispatch, tickets.ActionOnSite,
	tickets.ActionDiagnose, tickets.ActionPlan, tickets.ActionSpare, tickets.ActionPause, tickets.ActionResume,
	tickets.ActionResolve, tickets.ActionReport, tickets.ActionConfirm, tickets.ActionReject, tickets.ActionFollowUp,
	tickets.ActionRepairOut, tickets.ActionRepairBack, tickets.ActionRepairReport,
	tickets.ActionClose, tickets.ActionReopen, tickets.ActionCancel, tickets.ActionNote}

// registerRole may register a phone or e-mail report (报修登记).
const registerRole = auth.RoleViewer

// mayDo reports whether u's role allows action a on the console.
func mayDo(u accounts.User, a tickets.Action) bool {
	need, ok := actionRole[a]
	if !ok {
		return false
	}
	if u.Role == auth.RoleCustomer {
		return slices.Contains(customerAnswers, a)
	}
	return u.Role >= need
}

// allowedActions returns the actions u may take on t now: its state allows
// them, and pause only when not paused, resume only when paused.
func allowedActions(u accounts.User, t *tickets.Ticket) []tickets.Action {
	var out []tickets.Action
	for _, a := range consoleActions {
		if !mayDo(u, a) {
			continue
		}
		if (a == tickets.ActionPause && t.Pause != nil) || (a == tickets.ActionResume && t.Pause == nil) {
			continue
		}
		// One unit away for repair at a time; the report is of a factory repair.
		away := t.RepairAway()
		if (a == tickets.ActionRepairOut && away != nil) || (a == tickets.ActionRepairBack && away == nil) ||
			(a == tickets.ActionRepairReport && !t.FactoryRepair()) {
			continue
		}
		if _, err := tickets.Next(t.State, a); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// siteScope returns the sites u may see tickets of: a customer account
// with sites sees only those (its bureau's); nil means all.
func siteScope(u accounts.User) []string {
	if u.Role == auth.RoleCustomer && len(u.Sites) > 0 {
		return slices.Clone(u.Sites)
	}
	return nil
}

// maysee reports whether u may see a ticket of site.
func maysee(u accounts.User, site string) bool {
	sc := siteScope(u)
	return sc == nil || slices.Contains(sc, site)
}
