package inspect

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/integrity"
)

// keyedStore is a store with two unkeyed (pre-key) runs and then, keyed
// from seq 3 with alg, a run, an engineer's and a customer's signature.
func keyedStore(t *testing.T, alg integrity.Alg) (*Store, *integrity.Chain, string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	old, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 20, 0, 30, 0, 0, time.UTC)
	for i := range 2 {
		if _, err := old.AppendRun(ctx, &Run{Template: "daily", FinishedAt: at.Add(time.Duration(i) * time.Hour),
			Rows: []Row{{Device: "ups1", Item: "charge", Kind: "metric", Verdict: Normal}}}); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()
	kf, _, err := integrity.OpenKeyFile(filepath.Join(t.TempDir(), integrity.KeyFileName), at)
	if err != nil {
		t.Fatal(err)
	}
	chain := kf.Chain(alg)
	st, err := OpenStoreWith(path, StoreOptions{Chain: chain})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	next, err := st.NextSeq(ctx)
	if err != nil || next != 3 {
		t.Fatalf("next seq %d %v", next, err)
	}
	if _, err := kf.Start(integrity.ChainInspections, next); err != nil {
		t.Fatal(err)
	}
	id, err := st.AppendRun(ctx, &Run{Template: "daily", FinishedAt: at.Add(3 * time.Hour),
		Rows: []Row{{Device: "ups1", Item: "charge", Kind: "metric", Verdict: Normal}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []Signature{{Role: RoleEngineer, User: "张工", At: at}, {Role: RoleCustomer, User: "李科长", At: at}} {
		if _, err := st.Sign(ctx, id, sig); err != nil {
			t.Fatal(err)
		}
	}
	res, err := st.Verify(ctx)
	if err != nil || !res.OK || res.Entries != 5 || res.Legacy != 2 || res.HeadSeq != 5 {
		t.Fatalf("verify %+v %v", res, err)
	}
	return st, chain, res.Head
}

// TestKeyedChainTamper: the tampering of issue 15 is found.
func TestKeyedChainTamper(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dropTriggers := func(db *sql.DB) {
		if _, err := db.Exec(`DROP TRIGGER entries_no_update; DROP TRIGGER entries_no_delete`); err != nil {
			t.Fatal(err)
		}
	}
	// rehash recomputes every hash from seq on, unkeyed (the attacker has
	// no key) or with a wrong key.
	rehash := func(st *Store, c *integrity.Chain, from int64) {
		var prev string
		if err := st.db.QueryRow(`SELECT prev_hash FROM entries WHERE seq = ?`, from).Scan(&prev); err != nil {
			t.Fatal(err)
		}
		rows, err := st.db.Query(`SELECT seq, inspection, kind, at, template, period_start, period_end, summary, body FROM entries WHERE seq >= ? ORDER BY seq`, from)
		if err != nil {
			t.Fatal(err)
		}
		var es []entry
		for rows.Next() {
			var e entry
			if err := rows.Scan(&e.Seq, &e.Inspection, &e.Kind, &e.At, &e.Template, &e.PeriodStart, &e.PeriodEnd, &e.Summary, &e.Body); err != nil {
				t.Fatal(err)
			}
			es = append(es, e)
		}
		rows.Close()
		for _, e := range es {
			e.PrevHash, e.Alg = prev, c.Tag()
			h, err := hashOf(c, &e)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.db.Exec(`UPDATE entries SET prev_hash = ?, hash = ?, alg = ? WHERE seq = ?`, prev, h, e.Alg, e.Seq); err != nil {
				t.Fatal(err)
			}
			prev = h
		}
	}
	for _, alg := range []integrity.Alg{integrity.SHA256, integrity.SM3} {
		t.Run(string(alg)+"/delete last", func(t *testing.T) {
			st, _, head := keyedStore(t, alg)
			dropTriggers(st.db)
			if _, err := st.db.Exec(`DELETE FROM entries WHERE seq = 5`); err != nil {
				t.Fatal(err)
			}
			res, _ := st.Verify(ctx)
			if !res.OK {
				t.Fatalf("the chain itself still links: %+v", res)
			}
			if _, _, err := integrity.FindHead([]integrity.Report{res.Report()}, head); err == nil {
				t.Error("the stated head was found after deleting the last record")
			}
		})
		t.Run(string(alg)+"/countersigner rewritten, rehashed unkeyed", func(t *testing.T) {
			st, _, _ := keyedStore(t, alg)
			dropTriggers(st.db)
			if _, err := st.db.Exec(`UPDATE entries SET body = replace(body, '李科长', '王科长') WHERE seq = 5`); err != nil {
				t.Fatal(err)
			}
			rehash(st, nil, 5)
			res, _ := st.Verify(ctx)
			if res.OK || res.BadSeq != 5 || !strings.Contains(res.Reason, "unkeyed") {
				t.Errorf("verify %+v", res)
			}
		})
		t.Run(string(alg)+"/rewritten, rehashed with another key", func(t *testing.T) {
			st, _, _ := keyedStore(t, alg)
			dropTriggers(st.db)
			if _, err := st.db.Exec(`UPDATE entries SET body = replace(body, '张工', '赵工') WHERE seq = 4`); err != nil {
				t.Fatal(err)
			}
			rehash(st, integrity.NewChain([]byte("the attacker's own key"), alg), 4)
			res, _ := st.Verify(ctx)
			if res.OK || res.BadSeq != 4 || !strings.Contains(res.Reason, "hash mismatch") {
				t.Errorf("verify %+v", res)
			}
		})
		t.Run(string(alg)+"/triggers dropped", func(t *testing.T) {
			st, c, _ := keyedStore(t, alg)
			dropTriggers(st.db)
			var file string
			if err := st.db.QueryRow(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file); err != nil {
				t.Fatal(err)
			}
			again, err := OpenStoreWith(file, StoreOptions{Chain: c})
			if err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			if got := again.Recreated(); len(got) != 2 {
				t.Errorf("recreated %v", got)
			}
			res, _ := again.Verify(ctx)
			if rep := res.Report(); rep.OK || !strings.Contains(rep.Reason, "trigger") {
				t.Errorf("report %+v", rep)
			}
			if _, err := again.db.Exec(`DELETE FROM entries WHERE seq = 5`); err == nil {
				t.Error("delete allowed after the triggers were recreated")
			}
		})
	}
}

// TestFreshStoreRecreatesNothing: a new database gets its protective
// triggers without reporting them as dropped (only a database that existed
// and lost them is reported).
func TestFreshStoreRecreatesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inspections.db")
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Recreated(); len(r) != 0 {
		t.Errorf("fresh database: recreated %v, want none", r)
	}
	if _, err := s.DB().Exec(`DROP TRIGGER entries_no_delete`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if r := s.Recreated(); len(r) != 1 || r[0] != "entries_no_delete" {
		t.Errorf("after a drop: recreated %v, want [entries_no_delete]", r)
	}
}
