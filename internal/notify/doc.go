// Package notify sends ticket notices through channels: a generic JSON webhook,
// a WeCom group robot (企业微信群机器人), a DingTalk robot (钉钉) and e-mail over SMTP.
// Messages come from Chinese text/template templates (shipped defaults,
// overridable from files). Each send is retried with exponential backoff for a
// bounded number of attempts, waiting on an injected clock, and every attempt is
// reported to the caller so the ticket store can log it on the ticket. Robot keys,
// tokens and passwords are inventory.Secret values and are scrubbed from every
// error, so they never reach a log.
//
// It owns the channel configuration (the collector's notify: section), the
// templates and the senders; the ticket escalation loop (tickets/escalate.go)
// calls it, and collector/wire.go builds it.
package notify
