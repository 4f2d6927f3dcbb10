package auth_test

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/roomwatch/roomwatch/internal/auth"
)

func TestAuthenticateWrite(t *testing.T) {
	t.Parallel()
	const writeTok = "site-write-token-0123456789"
	mk := func(open bool) *auth.Authenticator {
		a, err := auth.New(auth.Config{
			Tokens: []auth.Token{{Name: "root", Token: "admin-token-0123456789", Role: auth.RoleAdmin},
				{Name: "grafana", Token: "viewer-token-0123456789", Role: auth.RoleViewer}},
			Write: auth.Write{Tokens: []auth.Token{{Name: "chengguan", Token: writeTok}}, OpenOnLoopback: open},
		})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	closed, open := mk(false), mk(true)
	verified := &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{{Subject: pkix.Name{CommonName: "pc-0412"}}}}}
	unverified := &tls.ConnectionState{PeerCertificates: []*x509.Certificate{{Subject: pkix.Name{CommonName: "forged"}}}}
	tests := []struct {
		name, remote, header string
		a                    *auth.Authenticator
		tls                  *tls.ConnectionState
		want                 string
		err                  error
	}{
		{"write token", "10.0.0.5:1", "Bearer " + writeTok, closed, nil, "chengguan", nil},
		{"admin token", "10.0.0.5:1", "Bearer admin-token-0123456789", closed, nil, "root", nil},
		{"viewer token refused", "10.0.0.5:1", "Bearer viewer-token-0123456789", closed, nil, "", auth.ErrBadToken},
		{"wrong token refused on open loopback", "127.0.0.1:1", "Bearer nope-nope-nope-nope", open, nil, "", auth.ErrBadToken},
		{"verified client certificate", "10.0.0.5:1", "", closed, verified, "cert:pc-0412", nil},
		{"unverified client certificate", "10.0.0.5:1", "", closed, unverified, "", auth.ErrNoToken},
		{"nothing, remote, open", "10.0.0.5:1", "", open, nil, "", auth.ErrNoToken},
		{"nothing, loopback, closed", "127.0.0.1:1", "", closed, nil, "", auth.ErrNoToken},
		{"nothing, loopback, open", "127.0.0.1:1", "", open, nil, "loopback", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("POST", "/api/v1/write", nil)
			r.RemoteAddr, r.TLS = tc.remote, tc.tls
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			got, err := tc.a.AuthenticateWrite(r)
			if got != tc.want || !errors.Is(err, tc.err) {
				t.Errorf("AuthenticateWrite = %q, %v; want %q, %v", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestWriteTokensValidated(t *testing.T) {
	t.Parallel()
	tests := []struct {
		c    auth.Config
		want string
	}{
		{auth.Config{Write: auth.Write{Tokens: []auth.Token{{Name: "a", Token: "short"}}}}, "auth.write.tokens: token \"a\" is 5 characters"},
		{auth.Config{Tokens: []auth.Token{{Name: "x", Token: "same-secret-0123456789", Role: auth.RoleViewer}},
			Write: auth.Write{Tokens: []auth.Token{{Name: "a", Token: "same-secret-0123456789"}}}}, "same secret as auth.tokens token \"x\""},
		{auth.Config{Write: auth.Write{Tokens: []auth.Token{{Token: "nameless-0123456789"}}}}, "auth.write.tokens: a token has no name"},
	}
	for _, tc := range tests {
		if err := tc.c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate = %v, want %q", err, tc.want)
		}
	}
}
