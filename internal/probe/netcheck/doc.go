// Package netcheck holds the protocol-level checks that work on any device:
// TCP connect, HTTP(S) status and RTSP OPTIONS/DESCRIBE with a parsed SDP, plus
// the HTTP client (Digest or Basic auth, optional TLS verification) that the
// camera and NVR API checks share.
//
// Every check is a probe.Prober: it returns by the context's deadline and turns
// any answer, garbage included, into a Result whose Err carries a probe reason.
package netcheck
