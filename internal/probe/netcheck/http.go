package netcheck

import (
	"context"
	"net/http"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe"
)

// HTTP checks that a device's web interface answers: GET http_path (default
// "/") with the device's credentials; 2xx and 3xx count as up. It reports the
// status code and, over HTTPS, when the certificate expires.
type HTTP struct {
	Clock clockwork.Clock // nil: the real clock
}

// Probe implements probe.Prober.
func (c HTTP) Probe(ctx context.Context, t inventory.Target) probe.Result {
	clock := orReal(c.Clock)
	r := probe.Result{Target: t, Probe: "http", Start: clock.Now()}
	defer func() { r.Duration = clock.Since(r.Start) }()
	base, err := BaseURL(t)
	if err != nil {
		r.Err = err
		return r
	}
	path := "/"
	if t.Device != nil && t.Device.Probe.HTTPPath != "" {
		path = t.Device.Probe.HTTPPath
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		r.Err = probe.Errorf(probe.ReasonConfig, "http_path %q: %w", path, err)
		return r
	}
	resp, err := ClientFor(t).Do(req)
	if err != nil {
		r.Err = err
		return r
	}
	resp.Body.Close()
	r.Add("roomwatch_probe_http_status_code", probe.Gauge, float64(resp.StatusCode), "HTTP status of the last check.", nil)
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		r.Add("roomwatch_probe_http_cert_expiry_timestamp_seconds", probe.Gauge,
			float64(resp.TLS.PeerCertificates[0].NotAfter.Unix()), "When the device's TLS certificate expires.", nil)
	}
	if resp.StatusCode >= 400 {
		r.Err = StatusError("GET "+path, resp.StatusCode)
	}
	return r
}
