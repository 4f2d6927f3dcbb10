package accounts

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/roomwatch/roomwatch/internal/auth"
)

// TestNoEnumerationByWork: a login with an unknown name, a known name with
// a wrong password and a locked name each make exactly one bcrypt
// comparison against a hash of the store's cost, so neither the answer nor
// the work (hence the timing) tells whether a name exists. Counted, not
// timed: tests never depend on speed.
func TestNoEnumerationByWork(t *testing.T) {
	ctx := context.Background()
	const cost = bcrypt.MinCost + 1
	s, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "a.db"), BcryptCost: cost, MaxFailures: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Add(ctx, NewUser{Name: "zhangsan", Role: auth.RoleViewer, Password: "Good-Password-1"}, "t"); err != nil {
		t.Fatal(err)
	}
	var costs []int
	s.compare = func(hash, pw []byte) error {
		c, err := bcrypt.Cost(hash)
		if err != nil {
			t.Errorf("compared against a non-bcrypt hash: %v", err)
		}
		costs = append(costs, c)
		return bcrypt.CompareHashAndPassword(hash, pw)
	}
	tests := []struct {
		name, user string
		want       func(error) bool
	}{
		{"known name, wrong password", "zhangsan", func(err error) bool { return errors.Is(err, ErrBadCredentials) }},
		{"unknown name", "nobody", func(err error) bool { return errors.Is(err, ErrBadCredentials) }},
		{"known name, locked", "zhangsan", nil}, // after MaxFailures below
		{"unknown name, locked", "nobody", nil},
	}
	locked := func(err error) bool { var le *LockedError; return errors.As(err, &le) }
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			if want == nil {
				for range 3 {
					_, _ = s.Login(ctx, tc.user, "Wrong-Password-1", "")
				}
				want = locked
			}
			costs = nil
			_, err := s.Login(ctx, tc.user, "Wrong-Password-1", "")
			if !want(err) {
				t.Fatalf("Login = %v", err)
			}
			if len(costs) != 1 || costs[0] != cost {
				t.Errorf("bcrypt comparisons (by cost) = %v, want exactly one at cost %d", costs, cost)
			}
		})
	}
}
