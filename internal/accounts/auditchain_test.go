package accounts_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/crypto/bcrypt"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/integrity"
)

// chainedAccounts writes one record without a key (a user added before
// keys existed), then keyed records: a failed login, a login, a logout.
// It returns the database path, the options to reopen it and the head.
func chainedAccounts(t *testing.T, alg integrity.Alg) (string, accounts.Options, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	clk := clockwork.NewFakeClockAt(t0)
	o := accounts.Options{Path: filepath.Join(dir, accounts.FileName), Clock: clk, BcryptCost: bcrypt.MinCost}
	old, err := accounts.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Add(ctx, accounts.NewUser{Name: "zhang", Role: auth.RoleEngineer, Password: goodPW}, "cli"); err != nil {
		t.Fatal(err)
	}
	old.Close()
	kf, _, err := integrity.OpenKeyFile(filepath.Join(dir, integrity.KeyFileName), t0)
	if err != nil {
		t.Fatal(err)
	}
	o.Chain = kf.Chain(alg)
	s, err := accounts.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	next, err := s.NextAuditID(ctx)
	if err != nil || next != 2 {
		t.Fatalf("next audit id %d %v", next, err)
	}
	if _, err := kf.Start(integrity.ChainAccountsAudit, next); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, "zhang", "wrong-password-1", "10.0.0.9"); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	clk.Advance(time.Minute)
	sess, err := s.Login(ctx, "zhang", goodPW, "10.0.0.9")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Logout(ctx, sess.Token, "10.0.0.9"); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Records != 4 || rep.Legacy != 1 || rep.HeadSeq != 4 || len(rep.Hashes) != 3 || len(rep.Head) != 64 {
		t.Fatalf("verify %+v", rep)
	}
	id, head, err := s.AuditHead(ctx)
	if err != nil || id != 4 || head != rep.Head {
		t.Fatalf("head %d %s %v, verify says %d %s", id, head, err, rep.HeadSeq, rep.Head)
	}
	return o.Path, o, head
}

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func exec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

const (
	dropTriggers    = `DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete`
	restoreTriggers = `CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'x'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'x'); END`
)

func TestAuditChainTamper(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name string
		alg  integrity.Alg
		// tamper edits the closed database; it restores the triggers
		// itself unless the case is about them.
		tamper   func(t *testing.T, db *sql.DB)
		wantSeq  int64
		reason   string // in the report's reason; "" for a chain that still verifies
		headGone bool   // the stated head is no longer in the chain
	}{
		{name: "untouched", alg: integrity.SHA256, tamper: func(*testing.T, *sql.DB) {}},
		{name: "untouched sm3", alg: integrity.SM3, tamper: func(*testing.T, *sql.DB) {}},
		{name: "deleted last row with stated head", alg: integrity.SHA256, headGone: true, tamper: func(t *testing.T, db *sql.DB) {
			exec(t, db, dropTriggers)
			exec(t, db, `DELETE FROM audit WHERE id = (SELECT MAX(id) FROM audit)`)
			exec(t, db, restoreTriggers)
		}},
		{name: "deleted middle row", alg: integrity.SHA256, wantSeq: 4, reason: "prev_hash does not match", tamper: func(t *testing.T, db *sql.DB) {
			exec(t, db, dropTriggers)
			exec(t, db, `DELETE FROM audit WHERE id = 3`)
			exec(t, db, restoreTriggers)
		}},
		{name: "changed actor", alg: integrity.SM3, wantSeq: 3, reason: "hash mismatch", tamper: func(t *testing.T, db *sql.DB) {
			exec(t, db, dropTriggers)
			exec(t, db, `UPDATE audit SET actor = 'admin' WHERE id = 3`)
			exec(t, db, restoreTriggers)
		}},
		{name: "changed user of the failure", alg: integrity.SHA256, wantSeq: 2, reason: "hash mismatch", tamper: func(t *testing.T, db *sql.DB) {
			exec(t, db, dropTriggers)
			exec(t, db, `UPDATE audit SET user_name = 'li', actor = 'admin' WHERE id = 2`)
			exec(t, db, restoreTriggers)
		}},
		{name: "rehash without key", alg: integrity.SHA256, wantSeq: 4, reason: "hash mismatch", tamper: func(t *testing.T, db *sql.DB) {
			// Whoever lacks the key can only recompute a plain SHA-256.
			exec(t, db, dropTriggers)
			var prev string
			if err := db.QueryRow(`SELECT prev_hash FROM audit WHERE id = 4`).Scan(&prev); err != nil {
				t.Fatal(err)
			}
			doc := `{"actor":"","at":0,"kind":"logout","reason":"","remote":"","until":0,"user":"li"}`
			sum := sha256.Sum256([]byte(prev + "\n" + doc))
			exec(t, db, `UPDATE audit SET user_name = 'li', hash = ? WHERE id = 4`, hex.EncodeToString(sum[:]))
			exec(t, db, restoreTriggers)
		}},
		{name: "hashes removed", alg: integrity.SHA256, wantSeq: 2, reason: "chain is keyed from record 2", tamper: func(t *testing.T, db *sql.DB) {
			exec(t, db, dropTriggers)
			exec(t, db, `UPDATE audit SET alg = '', prev_hash = '', hash = '' WHERE id >= 2`)
			exec(t, db, restoreTriggers)
		}},
		{name: "dropped trigger", alg: integrity.SHA256, wantSeq: 0, reason: "protective triggers [audit_no_delete] were missing", tamper: func(t *testing.T, db *sql.DB) {
			exec(t, db, `DROP TRIGGER audit_no_delete`)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path, o, head := chainedAccounts(t, tc.alg)
			db := rawDB(t, path)
			// The triggers refuse edits through the ordinary SQL door.
			if _, err := db.Exec(`UPDATE audit SET actor = 'x' WHERE id = 2`); err == nil {
				t.Fatal("the audit table took an UPDATE")
			}
			if _, err := db.Exec(`DELETE FROM audit WHERE id = 4`); err == nil {
				t.Fatal("the audit table took a DELETE")
			}
			tc.tamper(t, db)
			db.Close()
			for _, ro := range []bool{true, false} {
				o.ReadOnly = ro
				s, err := accounts.Open(ctx, o)
				if err != nil {
					t.Fatal(err)
				}
				rep, err := s.Verify(ctx)
				s.Close()
				if err != nil {
					t.Fatal(err)
				}
				if tc.reason == "" {
					if !rep.OK {
						t.Fatalf("read-only %v: %+v", ro, rep)
					}
				} else if rep.OK || rep.BadSeq != tc.wantSeq || !strings.Contains(rep.Reason, tc.reason) {
					t.Fatalf("read-only %v: got ok=%v seq %d %q, want seq %d %q", ro, rep.OK, rep.BadSeq, rep.Reason, tc.wantSeq, tc.reason)
				}
				_, _, ferr := integrity.FindHead([]integrity.Report{rep}, head)
				switch {
				case tc.headGone && ferr == nil:
					t.Fatalf("read-only %v: the stated head %s is still found after its record was deleted", ro, head[:16])
				case tc.reason == "" && !tc.headGone && ferr != nil:
					t.Fatalf("read-only %v: stated head %s: %v", ro, head[:16], ferr)
				}
			}
		})
	}
}

// TestAuditTableWithoutFile: every kind of event lands in the table with no
// audit file configured, a change that fails leaves no record, and the
// search finds them newest first.
func TestAuditTableWithoutFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := clockwork.NewFakeClockAt(t0)
	s := open(t, "", clk, nil)
	if _, err := s.Add(ctx, accounts.NewUser{Name: "wang", Role: auth.RoleAdmin, Password: goodPW}, "cli"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(ctx, accounts.NewUser{Name: "wang", Role: auth.RoleAdmin, Password: goodPW}, "cli"); !errors.Is(err, accounts.ErrExists) {
		t.Fatalf("second add: %v", err)
	}
	for range 5 {
		_, _ = s.Login(ctx, "nobody", "x-wrong-password", "10.1.1.1")
	}
	if err := s.SetDisabled(ctx, "wang", true, "root"); err != nil {
		t.Fatal(err)
	}
	lines, err := s.SearchAudit(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, l := range lines {
		kinds = append(kinds, l.Kind)
	}
	want := "user_disable lockout login_failure login_failure login_failure login_failure login_failure user_add"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("kinds newest first:\n got %s\nwant %s", got, want)
	}
	if lines[0].Who != "root" || !lines[0].At.Equal(t0) || !strings.Contains(lines[0].Text, `"user":"wang"`) {
		t.Fatalf("first line %+v", lines[0])
	}
	hits, err := s.SearchAudit(ctx, "LOCKOUT nobody", 10)
	if err != nil || len(hits) != 1 || hits[0].Kind != accounts.EventLockout || !strings.Contains(hits[0].Text, `"until"`) {
		t.Fatalf("search: %+v %v", hits, err)
	}
	rep, err := s.Verify(ctx)
	if err != nil || !rep.OK || rep.Records != 8 || rep.Legacy != 8 {
		t.Fatalf("unkeyed verify %+v %v", rep, err)
	}
}

// TestAuditSameTransaction: a change whose audit record cannot be written
// does not happen.
func TestAuditSameTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), accounts.FileName)
	s := open(t, path, clockwork.NewFakeClockAt(t0), nil)
	if _, err := s.Add(ctx, accounts.NewUser{Name: "zhao", Role: auth.RoleEngineer, Password: goodPW}, "cli"); err != nil {
		t.Fatal(err)
	}
	exec(t, rawDB(t, path), `CREATE TRIGGER audit_refuse BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'refused'); END`)
	if err := s.SetDisabled(ctx, "zhao", true, "root"); err == nil {
		t.Fatal("disabled with no audit record")
	}
	if u, err := s.Get(ctx, "zhao"); err != nil || u.Disabled {
		t.Fatalf("the change committed without its record: %+v %v", u, err)
	}
	if _, err := s.Login(ctx, "zhao", goodPW, "10.0.0.1"); err == nil {
		t.Fatal("a login opened a session with no audit record")
	}
	if _, err := s.Add(ctx, accounts.NewUser{Name: "qian", Role: auth.RoleViewer, Password: goodPW}, "cli"); err == nil {
		t.Fatal("added a user with no audit record")
	}
	if _, err := s.Get(ctx, "qian"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("user added without its record: %v", err)
	}
}
