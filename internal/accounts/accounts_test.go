package accounts_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/crypto/bcrypt"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
)

const goodPW = "Initial-Pass-2024"

type memAudit struct {
	mu     sync.Mutex
	events []accounts.Event
}

func (m *memAudit) AppendJSON(v any) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events = append(m.events, v.(accounts.Event))
	return nil
}

func (m *memAudit) kinds() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, e := range m.events {
		k := e.Kind
		if e.Reason != "" {
			k += ":" + e.Reason
		}
		out = append(out, k)
	}
	return out
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func open(t *testing.T, path string, clk clockwork.Clock, audit accounts.AuditSink) *accounts.Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), accounts.FileName)
	}
	s, err := accounts.Open(context.Background(), accounts.Options{Path: path, Clock: clk, BcryptCost: bcrypt.MinCost, Audit: audit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func addUser(t *testing.T, s *accounts.Store, name string) accounts.User {
	t.Helper()
	u, err := s.Add(context.Background(), accounts.NewUser{Name: name, DisplayName: "张三", Role: auth.RoleEngineer, Sites: []string{"county-a"}, Password: goodPW}, "test")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestAddGetList(t *testing.T) {
	ctx := context.Background()
	s := open(t, "", clockwork.NewFakeClockAt(t0), nil)
	u := addUser(t, s, "zhangsan")
	if !u.MustChangePassword || u.Role != auth.RoleEngineer || u.DisplayName != "张三" || len(u.Sites) != 1 {
		t.Fatalf("added user = %+v", u)
	}
	if _, err := s.Add(ctx, accounts.NewUser{Name: "ZhangSan", Role: auth.RoleViewer, Password: goodPW}, "test"); !errors.Is(err, accounts.ErrExists) {
		t.Fatalf("duplicate (other case): err = %v, want ErrExists", err)
	}
	for _, bad := range []string{"", "a b", "<script>", "x\n"} {
		if _, err := s.Add(ctx, accounts.NewUser{Name: bad, Role: auth.RoleViewer, Password: goodPW}, "test"); !errors.Is(err, accounts.ErrInvalidName) {
			t.Errorf("name %q: err = %v, want ErrInvalidName", bad, err)
		}
	}
	if _, err := s.Add(ctx, accounts.NewUser{Name: "norole", Password: goodPW}, "test"); !errors.Is(err, accounts.ErrInvalidRole) {
		t.Errorf("no role: err = %v", err)
	}
	if _, err := s.Add(ctx, accounts.NewUser{Name: "weak", Role: auth.RoleViewer, Password: "short"}, "test"); !errors.Is(err, accounts.ErrPolicy) {
		t.Errorf("weak password: err = %v", err)
	}
	got, err := s.Get(ctx, "ZHANGSAN")
	if err != nil || got.ID != u.ID {
		t.Fatalf("Get any case: %+v, %v", got, err)
	}
	if _, err := s.Get(ctx, "nobody"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("Get unknown: %v", err)
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "zhangsan" {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if ok, _ := s.HasActiveAdmin(ctx); ok {
		t.Fatal("HasActiveAdmin with no admin")
	}
}

func TestFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), accounts.FileName)
	s := open(t, path, clockwork.NewFakeClockAt(t0), nil)
	addUser(t, s, "zhangsan")
	for _, p := range []string{path, path + "-wal"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v: password hashes readable by others", p, st.Mode().Perm())
		}
	}
}

func TestPolicy(t *testing.T) {
	p := accounts.DefaultPolicy()
	for _, tc := range []struct {
		pw, reason string
	}{
		{"Abcdefgh1", accounts.ReasonTooShort},     // 9 characters
		{"abcdefghij1", accounts.ReasonFewClasses}, // 2 classes
		{"Abcdefghij1", ""},                        // lower, upper, digit
		{"abcdefghij1!", ""},                       // lower, digit, other
		{"密码很长的密码ab1!", ""},                        // other (CJK), lower, digit
		{"Xzhangsan-1", accounts.ReasonContainsName},
		{"Aa1!" + string(make([]byte, 70)), accounts.ReasonTooLong},
	} {
		err := p.Check("zhangsan", tc.pw)
		var pe *accounts.PolicyError
		switch {
		case tc.reason == "" && err != nil:
			t.Errorf("%q: unexpected %v", tc.pw, err)
		case tc.reason != "" && (!errors.As(err, &pe) || pe.Reason != tc.reason):
			t.Errorf("%q: err = %v, want reason %s", tc.pw, err, tc.reason)
		}
	}
	if err := (accounts.Policy{MinLength: 4, MinClasses: 1}).Check("u", "abcd"); err != nil {
		t.Errorf("configured policy: %v", err)
	}
}

// TestLockout: 5 failures within 15 minutes lock the name for 15 minutes,
// known or not, and the lock survives reopening the database.
func TestLockout(t *testing.T) {
	type attempt struct {
		after    time.Duration // clock advance before the attempt
		name, pw string
		want     string // ok, bad, locked
	}
	wrong := func(n string) attempt { return attempt{0, n, "wrong-Pass-1", "bad"} }
	for _, tc := range []struct {
		name     string
		attempts []attempt
	}{
		{"fifth failure locks, right password refused while locked", []attempt{
			wrong("zhangsan"), wrong("zhangsan"), wrong("zhangsan"), wrong("zhangsan"),
			{0, "zhangsan", "wrong", "locked"},
			{time.Minute, "zhangsan", goodPW, "locked"},
			{13*time.Minute + 59*time.Second, "zhangsan", goodPW, "locked"},
			{time.Second, "zhangsan", goodPW, "ok"}, // exactly 15 min after the lock
		}},
		{"failures spread beyond the window do not lock", []attempt{
			wrong("zhangsan"), wrong("zhangsan"), wrong("zhangsan"), wrong("zhangsan"),
			{16 * time.Minute, "zhangsan", "x", "bad"},
			{0, "zhangsan", goodPW, "ok"},
		}},
		{"success resets the count", []attempt{
			wrong("zhangsan"), wrong("zhangsan"), wrong("zhangsan"), wrong("zhangsan"),
			{0, "zhangsan", goodPW, "ok"},
			wrong("zhangsan"), wrong("zhangsan"), wrong("zhangsan"), wrong("zhangsan"),
			{0, "zhangsan", goodPW, "ok"},
		}},
		{"unknown names lock the same way", []attempt{
			wrong("ghost"), wrong("ghost"), wrong("ghost"), wrong("ghost"),
			{0, "ghost", "x", "locked"},
		}},
		{"names are counted regardless of case", []attempt{
			wrong("ZhangSan"), wrong("zhangsan"), wrong("ZHANGSAN"), wrong("zhangSAN"),
			{0, "zhangsan", "x", "locked"},
		}},
		{"disabled account answers like a wrong password", []attempt{
			{0, "off", goodPW, "bad"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			clk := clockwork.NewFakeClockAt(t0)
			path := filepath.Join(t.TempDir(), accounts.FileName)
			s := open(t, path, clk, nil)
			addUser(t, s, "zhangsan")
			addUser(t, s, "off")
			if err := s.SetDisabled(ctx, "off", true, "test"); err != nil {
				t.Fatal(err)
			}
			for i, a := range tc.attempts {
				clk.Advance(a.after)
				if i == 5 { // reopen: the counters live in the database
					s.Close()
					s = open(t, path, clk, nil)
				}
				_, err := s.Login(ctx, a.name, a.pw, "127.0.0.1")
				var le *accounts.LockedError
				got := "ok"
				switch {
				case errors.As(err, &le):
					got = "locked"
				case errors.Is(err, accounts.ErrBadCredentials):
					got = "bad"
				case err != nil:
					t.Fatalf("attempt %d: %v", i, err)
				}
				if got != a.want {
					t.Fatalf("attempt %d (%s/%s at +%v): %s, want %s (err %v)", i, a.name, a.pw, clk.Since(t0), got, a.want, err)
				}
				if got == "locked" && !le.Until.After(clk.Now()) {
					t.Fatalf("attempt %d: locked until %v, not after now %v", i, le.Until, clk.Now())
				}
			}
		})
	}
}

func TestLockoutUntilAndAudit(t *testing.T) {
	ctx := context.Background()
	clk := clockwork.NewFakeClockAt(t0)
	audit := &memAudit{}
	s := open(t, "", clk, audit)
	addUser(t, s, "zhangsan")
	var err error
	for range 5 {
		_, err = s.Login(ctx, "zhangsan", "nope", "10.0.0.9")
	}
	var le *accounts.LockedError
	if !errors.As(err, &le) || !le.Until.Equal(t0.Add(15*time.Minute)) {
		t.Fatalf("5th failure: %v, want locked until %v", err, t0.Add(15*time.Minute))
	}
	_, _ = s.Login(ctx, "zhangsan", goodPW, "10.0.0.9")
	_, _ = s.Login(ctx, "ghost", "x", "10.0.0.9")
	want := []string{"user_add:engineer",
		"login_failure:wrong_password", "login_failure:wrong_password", "login_failure:wrong_password",
		"login_failure:wrong_password", "login_failure:wrong_password", "lockout",
		"login_failure:locked", "login_failure:unknown_user"}
	if got := audit.kinds(); !equal(got, want) {
		t.Fatalf("audit = %v\nwant %v", got, want)
	}
	b, _ := json.Marshal(audit.events[6])
	if string(b) != `{"at":"2026-03-02T09:00:00Z","kind":"lockout","user":"zhangsan","remote":"10.0.0.9","until":"2026-03-02T09:15:00Z"}` {
		t.Fatalf("lockout event JSON = %s", b)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSessionTimeouts: idle timeout (30 min) and absolute lifetime (12 h).
func TestSessionTimeouts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []time.Duration // clock advances, each followed by a lookup
		want  []bool          // lookup succeeds
	}{
		{"used within the idle timeout", []time.Duration{29 * time.Minute, 29 * time.Minute, 29 * time.Minute}, []bool{true, true, true}},
		{"idle for 30 minutes", []time.Duration{10 * time.Minute, 30 * time.Minute, 0}, []bool{true, false, false}},
		{"absolute lifetime", stepsOf(25, 29*time.Minute), append(trues(24), false)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			clk := clockwork.NewFakeClockAt(t0)
			audit := &memAudit{}
			s := open(t, "", clk, audit)
			addUser(t, s, "zhangsan")
			sess, err := s.Login(ctx, "zhangsan", goodPW, "")
			if err != nil {
				t.Fatal(err)
			}
			for i, d := range tc.steps {
				clk.Advance(d)
				got, err := s.Session(ctx, sess.Token)
				if ok := err == nil; ok != tc.want[i] {
					t.Fatalf("step %d (+%v): ok=%v, want %v (%v)", i, clk.Since(t0), ok, tc.want[i], err)
				}
				if err == nil && got.User.Name != "zhangsan" {
					t.Fatalf("session user %q", got.User.Name)
				}
				if err != nil && !errors.Is(err, accounts.ErrNoSession) {
					t.Fatalf("err = %v, want ErrNoSession", err)
				}
			}
		})
	}
}

func stepsOf(n int, d time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func trues(n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = true
	}
	return out
}

// TestSessionsEnd: logout, a password change or reset and disabling end sessions.
func TestSessionsEnd(t *testing.T) {
	ctx := context.Background()
	clk := clockwork.NewFakeClockAt(t0)
	s := open(t, "", clk, nil)
	addUser(t, s, "zhangsan")
	login := func() accounts.Session {
		t.Helper()
		sess, err := s.Login(ctx, "zhangsan", goodPW, "")
		if err != nil {
			t.Fatal(err)
		}
		return sess
	}
	alive := func(sess accounts.Session) bool {
		_, err := s.Session(ctx, sess.Token)
		return err == nil
	}
	a, b := login(), login()
	if a.Token == b.Token || len(a.Token) != 43 || a.CSRF == a.Token || !a.CheckCSRF(a.CSRF) || a.CheckCSRF(b.CSRF) || a.CheckCSRF("") {
		t.Fatalf("tokens: %q %q csrf %q", a.Token, b.Token, a.CSRF)
	}
	if !a.User.MustChangePassword {
		t.Fatal("initial password not flagged for change")
	}
	if err := s.Logout(ctx, a.Token, ""); err != nil || alive(a) || !alive(b) {
		t.Fatalf("logout: err %v, a alive %v, b alive %v", err, alive(a), alive(b))
	}
	// Own change: wrong old, same as old, weak, then right.
	if _, err := s.ChangePassword(ctx, "zhangsan", "wrong", "New-Password-9", ""); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Fatalf("wrong old: %v", err)
	}
	if _, err := s.ChangePassword(ctx, "zhangsan", goodPW, goodPW, ""); !errors.Is(err, accounts.ErrPolicy) {
		t.Fatalf("same as old: %v", err)
	}
	if _, err := s.ChangePassword(ctx, "zhangsan", goodPW, "weak", ""); !errors.Is(err, accounts.ErrPolicy) {
		t.Fatalf("weak: %v", err)
	}
	c, err := s.ChangePassword(ctx, "zhangsan", goodPW, "New-Password-9", "")
	if err != nil || alive(b) || !alive(c) || c.User.MustChangePassword {
		t.Fatalf("change: err %v, old session alive %v, new alive %v, must change %v", err, alive(b), alive(c), c.User.MustChangePassword)
	}
	if _, err := s.Login(ctx, "zhangsan", goodPW, ""); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Fatalf("old password still works: %v", err)
	}
	d, err := s.Login(ctx, "zhangsan", "New-Password-9", "")
	if err != nil || d.User.MustChangePassword {
		t.Fatalf("login with new password: %v, must change %v", err, d.User.MustChangePassword)
	}
	if err := s.ResetPassword(ctx, "zhangsan", "Reset-Password-7", "admin"); err != nil || alive(c) || alive(d) {
		t.Fatalf("reset: %v, sessions alive %v %v", err, alive(c), alive(d))
	}
	e, err := s.Login(ctx, "zhangsan", "Reset-Password-7", "")
	if err != nil || !e.User.MustChangePassword {
		t.Fatalf("after reset: %v, must change %v", err, e.User.MustChangePassword)
	}
	if err := s.SetDisabled(ctx, "zhangsan", true, "admin"); err != nil || alive(e) {
		t.Fatalf("disable: %v, alive %v", err, alive(e))
	}
	if err := s.SetDisabled(ctx, "zhangsan", false, "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, "zhangsan", "Reset-Password-7", ""); err != nil {
		t.Fatalf("after enable: %v", err)
	}
	if _, err := s.Session(ctx, "not-a-session"); !errors.Is(err, accounts.ErrNoSession) {
		t.Fatalf("bogus token: %v", err)
	}
}

// The collector passes its audit file.
var _ accounts.AuditSink = (*auth.AuditFile)(nil)
