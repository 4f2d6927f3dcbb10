// Package tickets is roomwatch's fault-ticket pipeline: alerts from the rule
// engine, Alertmanager webhooks and API v2 posts are deduplicated and correlated
// into tickets; each ticket carries SLA timers computed from stored timestamps,
// moves through a fixed state machine (every transition recorded as an event),
// and an escalation loop on an injected clock warns handlers and escalates
// breaches along the chain, each notice recorded and sent once.
//
// The package holds the domain (Ticket, State, Level, Timer, Event), the state
// machine, the Service that applies alerts and actions through a Store, and the
// escalation loop. The SQLite store is in tickets/sqlite, the HTTP API in
// tickets/api.
//
// It owns tickets, their state machine, ingest and people's actions
// (service.go, ingest.go, actions.go, views.go), dedup and escalation; the store
// is tickets/sqlite and the HTTP API tickets/api. collector/wire.go wires it.
package tickets
