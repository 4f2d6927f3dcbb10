// Package web holds small HTTP pieces shared by the collector's endpoints:
// the JSON content-type check of the write endpoints, and the listener limits.
package web

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// ErrNotJSON is returned by RequireJSON for a body that is not declared JSON.
var ErrNotJSON = errors.New("the body must be sent as Content-Type: application/json")

// RequireJSON checks that r declares a JSON body (application/json or
// application/*+json, with any parameters). A missing Content-Type and the
// types a browser may send cross-site without asking first (text/plain,
// application/x-www-form-urlencoded, multipart/form-data) are refused, so
// that a page on another site cannot post to the endpoint with a form or a
// simple fetch; answer 415 Unsupported Media Type.
func RequireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return ErrNotJSON
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("%w: bad Content-Type %q: %v", ErrNotJSON, ct, err)
	}
	if mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return fmt.Errorf("%w, not %q", ErrNotJSON, mt)
}
