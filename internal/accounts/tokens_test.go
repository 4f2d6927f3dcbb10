package accounts_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
)

func TestIssuedTokens(t *testing.T) {
	ctx := context.Background()
	audit := &memAudit{}
	s := open(t, "", clockwork.NewFakeClockAt(t0), audit)
	api, apiSecret, err := s.IssueToken(ctx, "alertmanager", accounts.TokenAPI, auth.RoleEngineer, "root")
	if err != nil {
		t.Fatal(err)
	}
	_, kioskSecret, err := s.IssueToken(ctx, "大屏", accounts.TokenKiosk, auth.RoleAdmin, "root")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(apiSecret, "rwt_") || len(apiSecret) < 30 {
		t.Errorf("secret %q", apiSecret)
	}
	for _, c := range []struct {
		name, presented, kind string
		ok                    bool
	}{
		{"api as api", apiSecret, accounts.TokenAPI, true},
		{"api twice (cached)", apiSecret, accounts.TokenAPI, true},
		{"api as kiosk", apiSecret, accounts.TokenKiosk, false},
		{"kiosk as kiosk", kioskSecret, accounts.TokenKiosk, true},
		{"kiosk as api", kioskSecret, accounts.TokenAPI, false},
		{"wrong secret", apiSecret + "x", accounts.TokenAPI, false},
		{"other id", strings.Replace(apiSecret, "rwt_1_", "rwt_2_", 1), accounts.TokenAPI, false},
		{"no prefix", strings.TrimPrefix(apiSecret, "rwt_"), accounts.TokenAPI, false},
		{"malformed", "rwt_x_y", accounts.TokenAPI, false},
		{"empty", "", accounts.TokenAPI, false},
	} {
		got, err := s.CheckToken(ctx, c.presented, c.kind)
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case !c.ok && !errors.Is(err, accounts.ErrNoToken):
			t.Errorf("%s: %v, want ErrNoToken", c.name, err)
		case c.ok && got.Name == "":
			t.Errorf("%s: no token returned", c.name)
		}
	}
	// A kiosk token is read-only whatever role was asked for.
	ts, err := s.Tokens(ctx)
	if err != nil || len(ts) != 2 || ts[0].Kind != accounts.TokenKiosk || ts[0].Role != auth.RoleViewer {
		t.Fatalf("tokens %+v, %v", ts, err)
	}
	p, ok, err := s.LookupToken(ctx, apiSecret)
	if err != nil || !ok || p.Name != "alertmanager" || p.Role != auth.RoleEngineer {
		t.Errorf("LookupToken: %+v %v %v", p, ok, err)
	}
	if err := s.RevokeToken(ctx, api.ID, "root"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CheckToken(ctx, apiSecret, accounts.TokenAPI); !errors.Is(err, accounts.ErrNoToken) {
		t.Errorf("revoked token (verified before, so cached): %v", err)
	}
	if err := s.RevokeToken(ctx, 99, "root"); !errors.Is(err, accounts.ErrNoToken) {
		t.Errorf("revoke unknown: %v", err)
	}
	if _, _, err := s.IssueToken(ctx, "", accounts.TokenAPI, auth.RoleViewer, "root"); !errors.Is(err, accounts.ErrInvalidName) {
		t.Errorf("token without a name: %v", err)
	}
	if _, _, err := s.IssueToken(ctx, "x", accounts.TokenAPI, auth.RoleNone, "root"); !errors.Is(err, accounts.ErrInvalidRole) {
		t.Errorf("API token without a role: %v", err)
	}
	kinds := strings.Join(audit.kinds(), ",")
	if kinds != "token_issue:api:engineer,token_issue:kiosk:viewer,token_revoke" {
		t.Errorf("audit %s", kinds)
	}
}
