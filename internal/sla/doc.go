// Package sla holds the SLA profiles of the service contracts (rules/sla/*.yml, one
// per contract) and evaluates their timers from stored timestamps only: a deadline,
// a warning point and an escalation step are pure functions of (timer spec,
// calendar, started, stopped, now), so no in-memory timer exists and a restart loses
// nothing.
//
// # Escalation rule
//
// Each timer has a warning fraction w (e.g. 0.8), a target T on a calendar, an
// escalation chain of roles c[0..n-1] (c[0] is the handler, usually the resident
// engineer 驻场工程师) and a step interval s. Measured in calendar time from the
// timer's start:
//
//   - step 0, "warn": at w·T the handler c[0] is reminded (skipped when w is 0);
//   - step 1, "breach": at T (the deadline) the timer is breached and c[1] is told;
//   - step k+1, "escalate": at T + k·s (k ≥ 1, only when s > 0) c[k+1] is told,
//     for as long as the chain has roles left.
//
// A step is due when its instant has passed (≥) and the timer had not stopped
// before it. The caller records each (timer, step) once; Steps returns every step
// due so far, so a collector that was down catches up with all missed steps.
//
// It owns the SLA profiles, their configuration (the collector's sla:
// section) and timer evaluation; the ticket service (internal/tickets) uses it
// and the collector loads it (collector/config.go).
package sla
