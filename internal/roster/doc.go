// Package roster is the duty roster (值班表): who is on duty when. A shift
// runs from one handover (交接班, e.g. 08:30) to the next, so a time before
// the handover belongs to the previous day's shift. Each shift names, per
// role (the engineer on duty, the project manager, the duty operator), the
// accounts on duty: from the weekly rota, from the holiday rota on
// statutory days off (internal/calendar's holiday data), and from dated
// overrides (major events, swaps) given in the config or through the API
// (kept in roster.db with an append-only audit table). The last override
// that covers a shift and role wins; then the holiday rota, then the weekly
// rota.
//
// The escalator asks the roster who the engineer (or project manager) on
// duty is at a notice's time and sends the notice to that person's own
// addresses (see notify.Recipient).
package roster
