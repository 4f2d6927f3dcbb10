// Package silence is maintenance windows (计划维护/屏蔽): silences with
// Alertmanager's semantics. A silence has label matchers (=, !=, =~, !~ on
// any label), a start and an end, who made it and why; while it is active,
// alerts its matchers select open no ticket and send no notice.
//
// The parts, one a file: matcher.go (one matcher and its parsing),
// silence.go (a silence, its validation and state), store.go (the SQLite
// file that keeps them durably), set.go (the in-memory index Silenced
// answers from, and create/update/expire), amapi.go (Alertmanager's API v2
// for silences, so amtool works), external.go (silences polled from an
// external Alertmanager) and any.go (several sources as one).
package silence
