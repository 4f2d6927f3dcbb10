// Package devsim simulates, on loopback, the device interfaces the camera
// checks speak: an RTSP server (OPTIONS/DESCRIBE with a real SDP, Digest auth,
// and broken variants) and the Hikvision ISAPI and Dahua CGI endpoints of an
// NVR or camera behind HTTP Digest auth. Tests start them instead of mocks;
// every request is checked exactly (method, path, query, digest response), and
// anything unexpected is answered 400 and recorded in Errors.
//
// The digest verification here is written from RFC 7616 independently of the
// client library, so a client bug cannot hide behind the same code.
package devsim

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
)

// Challenge returns a WWW-Authenticate value for realm, nonce and algorithm
// ("MD5" or "SHA-256") with qop="auth".
func Challenge(realm, nonce, algorithm string) string {
	return fmt.Sprintf(`Digest realm="%s", nonce="%s", algorithm=%s, qop="auth", opaque="5ccc069c403ebaf9f0171e9517f40e41"`, realm, nonce, algorithm)
}

// CheckDigest verifies an Authorization header against RFC 7616 (qop=auth):
// response = H(H(user:realm:pass):nonce:nc:cnonce:auth:H(method:uri)).
func CheckDigest(header, method, uri, user, pass, realm, nonce, algorithm string) error {
	rest, ok := strings.CutPrefix(header, "Digest ")
	if !ok {
		return fmt.Errorf("authorization %q is not Digest", header)
	}
	p := parseParams(rest)
	for _, k := range []string{"username", "realm", "nonce", "uri", "response", "nc", "cnonce", "qop"} {
		if p[k] == "" {
			return fmt.Errorf("authorization lacks %s: %q", k, header)
		}
	}
	if p["username"] != user {
		return fmt.Errorf("username %q, want %q", p["username"], user)
	}
	if p["realm"] != realm || p["nonce"] != nonce {
		return fmt.Errorf("realm/nonce %q/%q, want %q/%q", p["realm"], p["nonce"], realm, nonce)
	}
	if p["uri"] != uri {
		return fmt.Errorf("digest uri %q, want %q", p["uri"], uri)
	}
	if p["qop"] != "auth" {
		return fmt.Errorf("qop %q, want auth", p["qop"])
	}
	if !strings.EqualFold(p["algorithm"], algorithm) && !(algorithm == "MD5" && p["algorithm"] == "") {
		return fmt.Errorf("algorithm %q, want %q", p["algorithm"], algorithm)
	}
	var h func() hash.Hash
	switch strings.ToUpper(algorithm) {
	case "MD5":
		h = md5.New
	case "SHA-256":
		h = sha256.New
	default:
		return fmt.Errorf("algorithm %q not simulated", algorithm)
	}
	H := func(s string) string { x := h(); x.Write([]byte(s)); return hex.EncodeToString(x.Sum(nil)) }
	ha1 := H(user + ":" + realm + ":" + pass)
	ha2 := H(method + ":" + uri)
	want := H(ha1 + ":" + nonce + ":" + p["nc"] + ":" + p["cnonce"] + ":auth:" + ha2)
	if p["response"] != want {
		return fmt.Errorf("digest response %s is wrong (wrong password?)", p["response"])
	}
	return nil
}

// parseParams splits k=v, k="v" pairs.
func parseParams(s string) map[string]string {
	out := map[string]string{}
	for len(s) > 0 {
		s = strings.TrimLeft(s, " ,")
		k, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		k = strings.ToLower(strings.TrimSpace(k))
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				v, s = rest[1:], ""
			} else {
				v, s = rest[1:1+end], rest[2+end:]
			}
		} else {
			v, s, _ = strings.Cut(rest, ",")
			v = strings.TrimSpace(v)
		}
		out[k] = v
	}
	return out
}
