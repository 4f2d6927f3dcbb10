// Package sqlite is the default ticket store: SQLite in pure Go
// (modernc.org/sqlite), schema migrations from embedded SQL files, WAL with
// synchronous=FULL, and one writer goroutine that group-commits concurrent
// updates (each in its own savepoint) so that many webhook deliveries at once
// share one fsync without ever interleaving their read-modify-write.
//
// For speed the writer runs statements prepared once at Open, keeps savepoint
// sub-journals in memory, takes every update waiting when a commit starts,
// and never checkpoints inside a commit: a checkpointer goroutine runs a
// PASSIVE checkpoint on its own connection every CheckpointEvery commits.
//
// Why synchronous=FULL: in WAL mode NORMAL already survives a process crash
// (kill -9), but may lose the last commits on power loss. An Alertmanager that
// got a 2xx will not resend, so a lost commit is a lost ticket; the machine
// rooms do lose power. FULL costs one fsync per group commit, not per alert.
//
// It owns the tickets database file and its migrations; collector/wire.go
// opens it for the ticket service and collector/cli/report.go reads it for
// reports.
package sqlite
