package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/integrity"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// chained opens a database written first without a key (3 tickets), then
// with one, keyed from the next ids (3 more tickets, one failed request).
func chained(t *testing.T, alg integrity.Alg) (*Store, string, Options) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	o := Options{Path: filepath.Join(dir, "tickets.db")}
	old, err := Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		insert(t, old, i)
	}
	old.Close()
	kf, _, err := integrity.OpenKeyFile(filepath.Join(dir, integrity.KeyFileName), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	o.Chain = kf.Chain(alg)
	s, err := Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ev, au, err := s.NextIDs(ctx)
	if err != nil || ev != 4 || au != 4 {
		t.Fatalf("next ids %d %d %v", ev, au, err)
	}
	kf.Start(integrity.ChainTicketEvents, ev)
	kf.Start(integrity.ChainAudit, au)
	for i := 3; i < 6; i++ {
		insert(t, s, i)
	}
	// A request that fails after adding an event is rolled back, and so is
	// its link: the next event links to the last stored one.
	boom := errors.New("boom")
	err = s.Update(ctx, func(tx tickets.Tx) error {
		if err := tx.AddEvent(1, tickets.Event{At: time.Now(), Actor: "x", Kind: tickets.EventNotice}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	insert(t, s, 6)
	reps, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if !r.OK || r.Records != 7 || r.Legacy != 3 || r.HeadSeq != 7 || len(r.Hashes) != 4 {
			t.Fatalf("verify %+v", r)
		}
	}
	return s, reps[1].Head, o
}

func TestChainTamper(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	drop := func(s *Store) {
		if _, err := s.w.Exec(`DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete; DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete`); err != nil {
			t.Fatal(err)
		}
	}
	verify := func(s *Store) []integrity.Report {
		reps, err := s.Verify(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return reps
	}
	for _, alg := range []integrity.Alg{integrity.SHA256, integrity.SM3} {
		t.Run(string(alg)+"/actor changed", func(t *testing.T) {
			s, _, _ := chained(t, alg)
			drop(s)
			if _, err := s.w.Exec(`UPDATE audit_log SET actor = 'someone else' WHERE id = 5; UPDATE events SET actor = 'someone else' WHERE id = 5`); err != nil {
				t.Fatal(err)
			}
			for _, r := range verify(s) {
				if r.OK || r.BadSeq != 5 || !strings.Contains(r.Reason, "hash mismatch") {
					t.Errorf("%s: %+v", r.Chain, r)
				}
			}
		})
		t.Run(string(alg)+"/hashes removed", func(t *testing.T) {
			s, _, _ := chained(t, alg)
			drop(s)
			if _, err := s.w.Exec(`UPDATE audit_log SET alg = '', prev_hash = '', hash = '', actor = 'x' WHERE id >= 4`); err != nil {
				t.Fatal(err)
			}
			if r := verify(s)[1]; r.OK || r.BadSeq != 4 || !strings.Contains(r.Reason, "unkeyed") {
				t.Errorf("%+v", r)
			}
		})
		t.Run(string(alg)+"/last deleted", func(t *testing.T) {
			s, head, _ := chained(t, alg)
			drop(s)
			if _, err := s.w.Exec(`DELETE FROM audit_log WHERE id = 7`); err != nil {
				t.Fatal(err)
			}
			if _, _, err := integrity.FindHead(verify(s), head); err == nil {
				t.Error("the stated head was found after the last audit record was deleted")
			}
		})
		t.Run(string(alg)+"/middle deleted", func(t *testing.T) {
			s, _, _ := chained(t, alg)
			drop(s)
			if _, err := s.w.Exec(`DELETE FROM events WHERE id = 5`); err != nil {
				t.Fatal(err)
			}
			if r := verify(s)[0]; r.OK || r.BadSeq != 6 || !strings.Contains(r.Reason, "deleted") {
				t.Errorf("%+v", r)
			}
		})
		t.Run(string(alg)+"/triggers dropped", func(t *testing.T) {
			s, _, o := chained(t, alg)
			drop(s)
			again, err := Open(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			if got := again.Recreated(); len(got) != 4 {
				t.Errorf("recreated %v", got)
			}
			if r := verify(again)[0]; r.OK || !strings.Contains(r.Reason, "trigger") {
				t.Errorf("%+v", r)
			}
			if _, err := again.w.Exec(`DELETE FROM audit_log`); err == nil {
				t.Error("delete allowed after the triggers were recreated")
			}
		})
	}
}
