package collector

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/config"
	"github.com/roomwatch/roomwatch/internal/influx"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/remotewrite"
)

// RemoteWrite is one `remote_write:` entry: another store (VictoriaMetrics,
// Prometheus with --web.enable-remote-write-receiver, Mimir, Thanos receive)
// that gets a copy of every sample the collector ingests.
type RemoteWrite struct {
	// URL of the receiver, e.g. http://vm:8428/api/v1/write (required).
	URL string `yaml:"url"`
	// Name labels the sender's metrics (remote="…"); the URL's host by default.
	Name string `yaml:"name"`
	// BearerToken is sent as "Authorization: Bearer …" when set.
	BearerToken inventory.Secret `yaml:"bearer_token"`
	// Headers are added to every request.
	Headers map[string]string `yaml:"headers"`
	// Capacity bounds the queued samples (memory); beyond it samples are
	// dropped and counted. 100000 by default.
	Capacity int `yaml:"capacity"`
	// BatchSize is the most samples per request; 2000 by default.
	BatchSize int `yaml:"batch_size"`
	// FlushInterval sends a partial batch after this long; 5s by default.
	FlushInterval config.Duration `yaml:"flush_interval"`
	// MinBackoff and MaxBackoff bound the retry delay; 500ms and 30s by default.
	MinBackoff config.Duration `yaml:"min_backoff"`
	MaxBackoff config.Duration `yaml:"max_backoff"`
	// Timeout bounds one request; 30s by default.
	Timeout config.Duration `yaml:"timeout"`

	line int
}

// UnmarshalYAML records the entry's line for validation messages.
func (r *RemoteWrite) UnmarshalYAML(node *yaml.Node) error {
	type plain RemoteWrite
	if err := node.Decode((*plain)(r)); err != nil {
		return err
	}
	r.line = node.Line
	return nil
}

// InfluxDB is the `influxdb:` section: an InfluxDB 2.x (or any server taking
// the v2 write API) that gets a copy of every sample the collector ingests.
type InfluxDB struct {
	// URL of the server, e.g. http://influx:8086 (required).
	URL string `yaml:"url"`
	// Token, Org and Bucket address the writes (Org and Bucket required).
	Token  inventory.Secret `yaml:"token"`
	Org    string           `yaml:"org"`
	Bucket string           `yaml:"bucket"`
	// Capacity bounds the queued points (memory); beyond it points are dropped
	// and counted. 100000 by default.
	Capacity int `yaml:"capacity"`
	// BatchSize is the most points per write; 5000 by default.
	BatchSize int `yaml:"batch_size"`
	// FlushInterval writes a partial batch after this long; 5s by default.
	FlushInterval config.Duration `yaml:"flush_interval"`
	// MinBackoff and MaxBackoff bound the retry delay; 500ms and 30s by default.
	MinBackoff config.Duration `yaml:"min_backoff"`
	MaxBackoff config.Duration `yaml:"max_backoff"`
	// Timeout bounds one write (whole seconds); 30s by default.
	Timeout config.Duration `yaml:"timeout"`

	line int
}

// UnmarshalYAML records the section's line for validation messages.
func (c *InfluxDB) UnmarshalYAML(node *yaml.Node) error {
	type plain InfluxDB
	if err := node.Decode((*plain)(c)); err != nil {
		return err
	}
	c.line = node.Line
	return nil
}

func lineErr(line int, format string, args ...any) error {
	return &config.LineError{Line: line, Msg: fmt.Sprintf(format, args...)}
}

func checkHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func checkQueue(line int, where string, capacity, batch int, flush, minB, maxB, timeout config.Duration) error {
	switch {
	case capacity < 0:
		return lineErr(line, "%s.capacity must not be negative", where)
	case batch < 0:
		return lineErr(line, "%s.batch_size must not be negative", where)
	case capacity > 0 && batch > capacity:
		return lineErr(line, "%s.batch_size %d is larger than capacity %d", where, batch, capacity)
	case flush < 0 || minB < 0 || maxB < 0 || timeout < 0:
		return lineErr(line, "%s: durations must not be negative", where)
	case maxB > 0 && minB > maxB:
		return lineErr(line, "%s.min_backoff %v is longer than max_backoff %v", where, minB.Std(), maxB.Std())
	}
	return nil
}

// validateOutbound checks the remote_write and influxdb sections.
func (c *Config) validateOutbound() error {
	names := map[string]bool{}
	for i := range c.RemoteWrite {
		r := &c.RemoteWrite[i]
		where := fmt.Sprintf("remote_write[%d]", i)
		if !checkHTTPURL(r.URL) {
			return lineErr(r.line, "%s.url: %q is not an http(s)://host/path URL", where, r.URL)
		}
		if err := checkQueue(r.line, where, r.Capacity, r.BatchSize, r.FlushInterval, r.MinBackoff, r.MaxBackoff, r.Timeout); err != nil {
			return err
		}
		name := r.Name
		if name == "" {
			u, _ := url.Parse(r.URL)
			name = u.Host
		}
		if names[name] {
			return lineErr(r.line, "%s: a second remote_write named %q; set name: to tell them apart", where, name)
		}
		names[name] = true
	}
	if ix := c.InfluxDB; ix != nil {
		if !checkHTTPURL(ix.URL) {
			return lineErr(ix.line, "influxdb.url: %q is not an http(s)://host:port URL", ix.URL)
		}
		if ix.Org == "" || ix.Bucket == "" {
			return lineErr(ix.line, "influxdb: org and bucket are required")
		}
		if ix.Timeout != 0 && ix.Timeout.Std() < time.Second {
			return lineErr(ix.line, "influxdb.timeout %v: at least 1s (the client counts whole seconds)", ix.Timeout.Std())
		}
		if err := checkQueue(ix.line, "influxdb", ix.Capacity, ix.BatchSize, ix.FlushInterval, ix.MinBackoff, ix.MaxBackoff, ix.Timeout); err != nil {
			return err
		}
	}
	return nil
}

// outboundDrain is how long shutdown may spend sending the outbound queues.
const outboundDrain = 5 * time.Second

// outbound is the set of onward writers built from the config: each is a
// remotewrite.Sink fed by the ingest Tee, run as a part of the server.
type outbound struct {
	sinks []remotewrite.Sink
	runs  []func(context.Context) error
	close []func()
}

// newOutbound builds the senders of the remote_write and influxdb sections.
func newOutbound(s *Server) (*outbound, error) {
	cfg := &s.cfg
	o := &outbound{}
	for _, r := range cfg.RemoteWrite {
		hdr := map[string]string{}
		for k, v := range r.Headers {
			hdr[k] = v
		}
		if r.BearerToken != "" {
			hdr["Authorization"] = "Bearer " + r.BearerToken.Reveal()
		}
		snd, err := remotewrite.NewSender(remotewrite.SenderOptions{
			URL: r.URL, Name: r.Name, Capacity: r.Capacity, BatchSize: r.BatchSize,
			FlushInterval: r.FlushInterval.Std(), MinBackoff: r.MinBackoff.Std(), MaxBackoff: r.MaxBackoff.Std(),
			Timeout: r.Timeout.Std(), Drain: outboundDrain, Headers: hdr, Clock: s.opts.Clock, Logger: s.log, Registerer: s.reg,
		})
		if err != nil {
			return nil, fmt.Errorf("remote_write %s: %w", r.URL, err)
		}
		o.sinks = append(o.sinks, snd)
		o.runs = append(o.runs, snd.Run)
	}
	if ix := cfg.InfluxDB; ix != nil {
		sk, err := influx.New(influx.Options{
			URL: ix.URL, Token: ix.Token.Reveal(), Org: ix.Org, Bucket: ix.Bucket,
			Capacity: ix.Capacity, BatchSize: ix.BatchSize, FlushInterval: ix.FlushInterval.Std(),
			MinBackoff: ix.MinBackoff.Std(), MaxBackoff: ix.MaxBackoff.Std(), Timeout: ix.Timeout.Std(), Drain: outboundDrain,
			Clock: s.opts.Clock, Logger: s.log, Registerer: s.reg,
		})
		if err != nil {
			return nil, fmt.Errorf("influxdb %s: %w", ix.URL, err)
		}
		o.sinks = append(o.sinks, sk)
		o.runs = append(o.runs, sk.Run)
		o.close = append(o.close, sk.Close)
	}
	return o, nil
}
