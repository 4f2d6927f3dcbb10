package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/tickets"
)

func open(t *testing.T, o Options) *Store {
	t.Helper()
	o.Path = filepath.Join(t.TempDir(), "tickets.db")
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func insert(t *testing.T, s *Store, i int) {
	t.Helper()
	at := time.Date(2025, 3, 3, 1, 0, 0, 0, time.UTC)
	err := s.Update(context.Background(), func(tx tickets.Tx) error {
		tk := &tickets.Ticket{Level: 2, State: tickets.StateOpen, Title: fmt.Sprintf("t%d", i), GroupKey: fmt.Sprint(i),
			OpenedAt: at, UpdatedAt: at}
		if err := tx.Insert(tk); err != nil {
			return err
		}
		return tx.AddEvent(tk.ID, tickets.Event{At: at, Actor: "test", Kind: tickets.EventOpened, To: tickets.StateOpen})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCheckpointRestartsWAL: commits never checkpoint by themselves
// (wal_autocheckpoint is off on the writer); a PASSIVE checkpoint on the
// checkpointer's connection copies the whole WAL, after which the writer
// starts the WAL again from its beginning.
func TestCheckpointRestartsWAL(t *testing.T) {
	t.Parallel()
	s := open(t, Options{CheckpointEvery: 1 << 30}) // only the checkpoints below
	for i := range 200 {
		insert(t, s, i)
	}
	ctx := context.Background()
	frames, done, err := s.checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if frames < 200 || done != frames {
		t.Fatalf("after 200 commits: %d frames, %d checkpointed; want ≥ 200, all", frames, done)
	}
	insert(t, s, 200)
	frames, _, err = s.checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if frames > 20 {
		t.Errorf("after a checkpoint and one commit the WAL holds %d frames; want it restarted (a few)", frames)
	}
}

// TestSavepointIsolation: a request that fails after writing leaves no trace
// (its savepoint is rolled back) while the requests around it commit.
func TestSavepointIsolation(t *testing.T) {
	t.Parallel()
	s := open(t, Options{})
	insert(t, s, 1)
	err := s.Update(context.Background(), func(tx tickets.Tx) error {
		if err := tx.AddEvent(1, tickets.Event{At: time.Now(), Actor: "x", Kind: "note"}); err != nil {
			return err
		}
		return fmt.Errorf("fail after a write")
	})
	if err == nil {
		t.Fatal("want the request's error")
	}
	insert(t, s, 2)
	n, err := s.AuditCount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d audit records, want 2 (the failed request's write rolled back)", n)
	}
}

// TestAuditTrigger: each event gets its audit record from the database,
// with the actor and by, and the audit log refuses UPDATE and DELETE.
func TestAuditTrigger(t *testing.T) {
	t.Parallel()
	s := open(t, Options{})
	insert(t, s, 1)
	at := time.Date(2025, 3, 3, 2, 0, 0, 0, time.UTC)
	err := s.Update(context.Background(), func(tx tickets.Tx) error {
		return tx.AddEvent(1, tickets.Event{At: at, Actor: "dispatcher", By: "李工", Kind: "onsite",
			From: tickets.StateOpen, To: tickets.StateOnSite, Note: "电话报到"})
	})
	if err != nil {
		t.Fatal(err)
	}
	var actor, by, kind, note string
	var tid, ts int64
	err = s.r.QueryRow(`SELECT actor, worker, kind, note, ticket_id, at FROM audit_log ORDER BY id DESC LIMIT 1`).
		Scan(&actor, &by, &kind, &note, &tid, &ts)
	if err != nil {
		t.Fatal(err)
	}
	if actor != "dispatcher" || by != "李工" || kind != "onsite" || note != "电话报到" || tid != 1 || ts != at.UnixNano() {
		t.Errorf("audit record %q %q %q %q %d %d", actor, by, kind, note, tid, ts)
	}
	for _, q := range []string{`UPDATE audit_log SET note = 'x'`, `DELETE FROM audit_log`, `UPDATE events SET note = 'x'`, `DELETE FROM events`} {
		err := s.Update(context.Background(), func(tx tickets.Tx) error {
			x := tx.(*txn)
			_, err := x.ExecContext(x.ctx, q)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused as append-only", q, err)
		}
	}
}
