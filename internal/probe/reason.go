package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
)

// Reasons are the bounded set of values of the reason label on
// roomwatch_probe_error_info: the full message goes to the logs and the API,
// never into a label.
const (
	ReasonTimeout     = "timeout"      // no answer before the probe's timeout
	ReasonRefused     = "refused"      // TCP connection refused
	ReasonUnreachable = "unreachable"  // no route, host or network unreachable
	ReasonDNS         = "dns"          // name did not resolve
	ReasonTLS         = "tls"          // handshake or certificate failed
	ReasonAuth        = "auth"         // credentials rejected (401/403 after authenticating)
	ReasonNotFound    = "not_found"    // 404: wrong path or channel
	ReasonUnavailable = "unavailable"  // 503 and other 5xx: stream or connection limit, device busy
	ReasonHTTPStatus  = "http_status"  // any other unexpected status
	ReasonProtocol    = "protocol"     // the answer is not what the protocol says (garbage, no SDP…)
	ReasonDeviceFault = "device_fault" // the device answered and reports itself faulty
	ReasonConfig      = "config"       // the check cannot run as configured
	ReasonOther       = "error"        // anything else
)

// Reasons lists every reason value, for documentation and tests.
func Reasons() []string {
	return []string{ReasonTimeout, ReasonRefused, ReasonUnreachable, ReasonDNS, ReasonTLS, ReasonAuth,
		ReasonNotFound, ReasonUnavailable, ReasonHTTPStatus, ReasonProtocol, ReasonDeviceFault, ReasonConfig, ReasonOther}
}

// Error is a probe failure with its reason.
type Error struct {
	Reason string
	Err    error
}

func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given reason; %w wraps as in fmt.Errorf.
func Errorf(reason, format string, args ...any) error {
	return &Error{Reason: reason, Err: fmt.Errorf(format, args...)}
}

// Reason classifies err into one of Reasons(); nil gives "".
func Reason(err error) string {
	if err == nil {
		return ""
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Reason
	}
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recErr tls.RecordHeaderError
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return ReasonTimeout
	case errors.As(err, &netErr) && netErr.Timeout():
		return ReasonTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ReasonRefused
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTDOWN):
		return ReasonUnreachable
	case errors.As(err, &dnsErr):
		return ReasonDNS
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &recErr):
		return ReasonTLS
	}
	return ReasonOther
}

// SplitAddress returns the host of a device address ("10.0.0.5",
// "10.0.0.5:8080", "[::1]:554", "nvr1.local") and its port, 0 when absent.
func SplitAddress(address string) (host string, port int, err error) {
	if a, err := netip.ParseAddr(address); err == nil {
		return a.String(), 0, nil
	}
	if !strings.Contains(address, ":") {
		if address == "" {
			return "", 0, Errorf(ReasonConfig, "empty address")
		}
		return address, 0, nil
	}
	h, p, err := net.SplitHostPort(address)
	if err != nil {
		return "", 0, Errorf(ReasonConfig, "address %q: %w", address, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil || n <= 0 || n > 65535 {
		return "", 0, Errorf(ReasonConfig, "address %q: bad port", address)
	}
	return h, n, nil
}

// JoinHostPort joins a host and port, bracketing IPv6 literals.
func JoinHostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}
