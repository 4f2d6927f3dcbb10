package auth

import (
	"context"
	"net/http"
)

// TokenSource is a second place API tokens come from besides the config:
// tokens an admin issued in the console (*accounts.Store), stored hashed.
type TokenSource interface {
	// LookupToken returns the principal of a presented token; ok is false
	// for a token it does not know (or that was revoked).
	LookupToken(ctx context.Context, presented string) (p Principal, ok bool, err error)
}

// UseSource adds src to the tokens Authenticate accepts. Call it while
// wiring, before the first request.
func (a *Authenticator) UseSource(src TokenSource) { a.source.Store(&src) }

// fromSource asks the token source, if any, about tok.
func (a *Authenticator) fromSource(r *http.Request, tok string) (Principal, bool) {
	src := a.source.Load()
	if src == nil {
		return Principal{}, false
	}
	p, ok, err := (*src).LookupToken(r.Context(), tok)
	if err != nil || !ok {
		return Principal{}, false
	}
	return p, true
}
