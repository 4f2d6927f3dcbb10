// Package collector assembles roomwatch-collector: it reads the configuration and
// starts the parts (probes, storage, rule evaluation, ticket pipeline, inspections,
// HTTP API) that live in their own packages under internal/.
package collector

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/config"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/notify"
	"github.com/roomwatch/roomwatch/internal/probe/scheduler"
	"github.com/roomwatch/roomwatch/internal/registry"
	"github.com/roomwatch/roomwatch/internal/report"
	"github.com/roomwatch/roomwatch/internal/report/deliver"
	"github.com/roomwatch/roomwatch/internal/roster"
	"github.com/roomwatch/roomwatch/internal/sla"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/web"
)

// Config is the collector's one YAML file. Each feature owns a section whose type
// lives in the feature's package; an empty file runs on the embedded defaults.
type Config struct {
	Global    Global              `yaml:"global"`
	Web       Web                 `yaml:"web"`
	Inventory inventory.Inventory `yaml:"inventory"`
	Probes    scheduler.Config    `yaml:"probes"`
	// Inspections: templates directory and query source (issue 7).
	Inspections inspect.Config `yaml:"inspections"`
	Storage     Storage        `yaml:"storage"`
	Query       Query          `yaml:"query"`
	Rules       Rules          `yaml:"rules"`
	Scrape      []ScrapeTarget `yaml:"scrape"`
	// RemoteWrite and InfluxDB get a copy of every ingested sample (outbound).
	RemoteWrite []RemoteWrite `yaml:"remote_write"`
	InfluxDB    *InfluxDB     `yaml:"influxdb"`
	// Tickets, SLA and Notify: the ticket pipeline (issue 6).
	Tickets tickets.Config `yaml:"tickets"`
	// Auth: API tokens and the alert intake policy, used by every API (auth.go).
	Auth auth.Config `yaml:"auth"`
	// Agents: registration limits of the agent registry.
	Agents registry.Config `yaml:"agents"`
	SLA    sla.Config      `yaml:"sla"`
	Notify notify.Config   `yaml:"notify"`
	// Reports: where scheduled reports are kept and whom they are sent to.
	Reports deliver.Config `yaml:"reports"`
	// Console: password policy, lockout and session timeouts (console_config.go).
	Console Console `yaml:"console"`
	// Integrity: the records' keyed hash chains (chains.go).
	Integrity Integrity `yaml:"integrity"`
	// Documents is the server-side PDF (documents.go).
	Documents Documents `yaml:"documents"`
	// Roster: the duty roster (值班表), who is on duty when (wire_roster.go).
	Roster roster.Config `yaml:"roster"`
}

// Global holds settings shared by every part.
type Global struct {
	// Bureau is the customer's name printed on check sheets and reports.
	Bureau string `yaml:"bureau"`
	// Timezone for SLA calendars, schedules and reports; Asia/Shanghai by default.
	Timezone string `yaml:"timezone"`
	// DataDir holds the TSDB, the ticket database and reports; ./data by default.
	DataDir string `yaml:"data_dir"`
	// Site is the default site label for the collector's own series.
	Site string `yaml:"site"`
}

// Web holds the HTTP listener settings.
type Web struct {
	ListenAddress string `yaml:"listen_address"`
	// CORSOrigin is the regular expression (anchored) of the browser origins
	// allowed to read the query API cross-site, as Prometheus's
	// --web.cors.origin; empty allows none (docs/security.md).
	CORSOrigin string `yaml:"cors_origin"`
	// MaxConnections bounds the connections open at once, as Prometheus's
	// --web.max-connections; 512 by default, 0 for no limit.
	MaxConnections int `yaml:"max_connections"`
	// ReadHeaderTimeout bounds the request line and headers (10s), ReadTimeout
	// a whole request with its body (2m: an 8 MiB photo at ~600 kbit/s), and
	// IdleTimeout a kept-alive connection waiting for its next request (2m).
	// 0 turns a timeout off. There is no write timeout (server-sent events).
	ReadHeaderTimeout config.Duration `yaml:"read_header_timeout"`
	ReadTimeout       config.Duration `yaml:"read_timeout"`
	IdleTimeout       config.Duration `yaml:"idle_timeout"`
	// ConfigFile is a web config file in the format of
	// prometheus/exporter-toolkit (TLS, client CA, basic-auth users), as
	// --web.config.file, which overrides it (docs/security.md).
	ConfigFile string `yaml:"config_file"`

	line int // of max_connections, for validation messages
}

// UnmarshalYAML records the line of max_connections for validation messages.
func (w *Web) UnmarshalYAML(node *yaml.Node) error {
	type plain Web
	if err := node.Decode((*plain)(w)); err != nil {
		return err
	}
	w.line = config.ValueNode(node, "max_connections").Line
	return nil
}

// ServerOptions returns the listener limits for internal/web.
func (w *Web) ServerOptions() web.ServerOptions {
	return web.ServerOptions{
		MaxConnections: w.MaxConnections, ReadHeaderTimeout: w.ReadHeaderTimeout.Std(),
		ReadTimeout: w.ReadTimeout.Std(), IdleTimeout: w.IdleTimeout.Std(),
	}
}

func defaultWeb() Web {
	return Web{
		ListenAddress: ":9120", MaxConnections: web.DefaultMaxConnections,
		ReadHeaderTimeout: config.Duration(web.DefaultReadHeaderTimeout),
		ReadTimeout:       config.Duration(web.DefaultReadTimeout),
		IdleTimeout:       config.Duration(web.DefaultIdleTimeout),
	}
}

// DefaultConfig returns the embedded defaults.
func DefaultConfig() Config {
	return Config{
		Global:  Global{Timezone: calendar.DefaultZone, DataDir: "./data", Site: "local", Bureau: report.DefaultBureau},
		Web:     defaultWeb(),
		Storage: defaultStorage(),
		Query:   defaultQuery(),
		Rules:   defaultRules(),
		Scrape:  defaultScrape(),
		Tickets: tickets.DefaultConfig(),
		SLA:     sla.DefaultConfig(),
		Reports: deliver.Config{Deliver: deliver.DefaultJobs()},
		// The all-in-one default: local senders write without credentials;
		// everyone else needs them (docs/security.md).
		Auth: auth.Config{Write: auth.Write{OpenOnLoopback: true}},
	}
}

// Location returns the configured time zone.
func (c *Config) Location() (*time.Location, error) {
	return time.LoadLocation(c.Global.Timezone)
}

// Validate implements config.Validator.
func (c *Config) Validate() error {
	if _, err := c.Location(); err != nil {
		return &config.LineError{Msg: fmt.Sprintf("global.timezone %q: %v", c.Global.Timezone, err)}
	}
	if err := c.Inventory.Validate(); err != nil {
		return fmt.Errorf("inventory: %w", err)
	}
	if err := c.Probes.Validate(); err != nil {
		return err
	}
	if err := c.validateCore(); err != nil {
		return err
	}
	if err := c.validateOutbound(); err != nil {
		return err
	}
	if err := c.validateTickets(); err != nil {
		return err
	}
	var channels []string
	for _, ch := range c.Notify.Channels {
		channels = append(channels, ch.Name)
	}
	if err := c.Reports.Validate(channels); err != nil {
		return err
	}
	if err := c.Console.Validate(); err != nil {
		return err
	}
	if err := c.Agents.Validate(); err != nil {
		return &config.LineError{Msg: err.Error()}
	}
	if err := c.Integrity.validate(); err != nil {
		return err
	}
	if err := c.Documents.validate(); err != nil {
		return err
	}
	if err := c.Roster.Validate(); err != nil {
		return err
	}
	return c.validateAuth()
}

// ConfigError is LoadConfig's error: the file is missing, unreadable or
// wrong. Commands exit 2 on it (1 is for failures at run time).
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// LoadConfig reads the config file at path over the defaults; an empty path
// gives the defaults. Errors are *ConfigError.
func LoadConfig(path string) (Config, error) {
	c := DefaultConfig()
	if path == "" {
		if err := c.Validate(); err != nil {
			return Config{}, &ConfigError{Err: err}
		}
		return c, nil
	}
	if err := config.LoadFile(path, &c); err != nil {
		return Config{}, &ConfigError{Err: err}
	}
	return c, nil
}

// validateTickets checks the tickets, sla and notify sections and that the
// escalation routes name configured channels.
func (c *Config) validateTickets() error {
	if err := c.Tickets.Validate(); err != nil {
		return err
	}
	if err := c.SLA.Validate(); err != nil {
		return err
	}
	if err := c.Notify.Validate(); err != nil {
		return err
	}
	chans := map[string]bool{}
	for _, ch := range c.Notify.Channels {
		chans[ch.Name] = true
	}
	for role, names := range c.Tickets.Routes {
		for _, n := range names {
			if !chans[n] {
				return &config.LineError{Msg: fmt.Sprintf("tickets.routes.%s: channel %q is not in notify.channels", role, n)}
			}
		}
	}
	for who, names := range c.Tickets.People {
		for _, n := range names {
			if !chans[n] {
				return &config.LineError{Msg: fmt.Sprintf("tickets.people.%s: channel %q is not in notify.channels", who, n)}
			}
		}
	}
	return nil
}
