package tickets

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/config"
)

// Config is the `tickets:` section of the collector config. Its values feed
// Options (the Service), the SQLite store, classify.Load and auth.New.
type Config struct {
	// Enabled turns the ticket pipeline on (default true).
	Enabled *bool `yaml:"enabled"`
	// DB is the SQLite file; <data_dir>/tickets.db when empty.
	DB string `yaml:"db"`
	// Rules is the fault-level rules file (classify); rules/fault-levels.yml by default.
	Rules string `yaml:"rules"`
	// ReopenWindow: a fault recurring within it after recovery, resolution or
	// closing reopens the old ticket instead of opening a new one (default 24h;
	// 0 never reopens).
	ReopenWindow *config.Duration `yaml:"reopen_window"`
	// AutoClose lists the levels ("III", "IV", …) whose tickets close by
	// themselves when the fault recovers.
	AutoClose []Level `yaml:"auto_close"`
	// GroupBy are the labels forming the group key (default device, family:
	// one incident per device and fault family; an alert without a family
	// label is a family of its own).
	GroupBy []string `yaml:"group_by"`
	// ReachabilityAlerts are the alertnames meaning "device unreachable"
	// (default DefaultReachabilityAlerts).
	ReachabilityAlerts []string `yaml:"reachability_alerts"`
	// EscalationInterval between escalation passes (default 30s).
	EscalationInterval config.Duration `yaml:"escalation_interval"`
	// Routes maps an escalation role (engineer, project_manager, …) to notify
	// channel names; a role without a route goes to every channel. The
	// routes group, assignee and complainant (the reply to a complaint's
	// filer, at their own addresses) are not roles of the chain.
	Routes map[string][]string `yaml:"routes"`
	// People maps a person (an assignee's name as dispatched) to their own
	// notify channels: the dispatch notice goes there.
	People map[string][]string `yaml:"people"`
	// ComplaintReply is the time a complaint (投诉) must be answered in,
	// 7×24 from filing (default DefaultComplaintReply, 24 h: no contract
	// states a complaint figure).
	ComplaintReply config.Duration `yaml:"complaint_reply"`
	// AuditFile is the optional JSON-lines copy of the audit log ("" = none).
	AuditFile string `yaml:"audit_file"`
	// Auth holds the API tokens with their roles and the intake policy.
	Auth auth.Config `yaml:"auth"`
}

// DefaultReopenWindow is the reopen window when the config sets none.
const DefaultReopenWindow = 24 * time.Hour

// DefaultConfig returns the section's defaults.
func DefaultConfig() Config {
	w := config.Duration(DefaultReopenWindow)
	return Config{
		Rules:              "rules/fault-levels.yml",
		ReopenWindow:       &w,
		GroupBy:            []string{"device", "family"},
		ReachabilityAlerts: DefaultReachabilityAlerts(),
		EscalationInterval: config.Duration(30 * time.Second),
	}
}

// On reports whether the pipeline runs.
func (c *Config) On() bool { return c.Enabled == nil || *c.Enabled }

// DBPath returns the database file, under dataDir unless DB is set.
func (c *Config) DBPath(dataDir string) string {
	if c.DB != "" {
		return c.DB
	}
	return filepath.Join(dataDir, "tickets.db")
}

// Window returns the reopen window (the default when unset).
func (c *Config) Window() time.Duration {
	if c.ReopenWindow == nil {
		return DefaultReopenWindow
	}
	return c.ReopenWindow.Std()
}

// ApplyDefaults implements config.Defaulter: it fills the fields left empty.
func (c *Config) ApplyDefaults() {
	d := DefaultConfig()
	if c.Rules == "" {
		c.Rules = d.Rules
	}
	if len(c.GroupBy) == 0 {
		c.GroupBy = d.GroupBy
	}
	if len(c.ReachabilityAlerts) == 0 {
		c.ReachabilityAlerts = d.ReachabilityAlerts
	}
	if c.EscalationInterval == 0 {
		c.EscalationInterval = d.EscalationInterval
	}
}

// Validate implements config.Validator (after ApplyDefaults).
func (c *Config) Validate() error {
	if c.ReopenWindow != nil && c.ReopenWindow.Std() < 0 {
		return &config.LineError{Msg: fmt.Sprintf("tickets.reopen_window %v: must not be negative", c.ReopenWindow.Std())}
	}
	if c.ComplaintReply.Std() < 0 {
		return &config.LineError{Msg: fmt.Sprintf("tickets.complaint_reply %v: must not be negative", c.ComplaintReply.Std())}
	}
	if c.EscalationInterval.Std() < time.Second {
		return &config.LineError{Msg: fmt.Sprintf("tickets.escalation_interval %v: at least 1s", c.EscalationInterval.Std())}
	}
	seen := map[Level]bool{}
	for _, l := range c.AutoClose {
		if !l.Valid() {
			return &config.LineError{Msg: fmt.Sprintf("tickets.auto_close: %v is not a fault level (I..IV)", l)}
		}
		if seen[l] {
			return &config.LineError{Msg: fmt.Sprintf("tickets.auto_close: level %v listed twice", l)}
		}
		seen[l] = true
	}
	labels := map[string]bool{}
	for _, g := range c.GroupBy {
		if g == "" || labels[g] {
			return &config.LineError{Msg: fmt.Sprintf("tickets.group_by: label %q empty or listed twice", g)}
		}
		labels[g] = true
	}
	for role, chans := range c.Routes {
		if len(chans) == 0 {
			return &config.LineError{Msg: fmt.Sprintf("tickets.routes.%s: no channel (omit the role to use every channel)", role)}
		}
	}
	if err := c.Auth.Validate(); err != nil {
		var le *config.LineError
		if errors.As(err, &le) {
			return &config.LineError{File: le.File, Line: le.Line, Msg: "tickets." + le.Msg}
		}
		return fmt.Errorf("tickets.%w", err)
	}
	return nil
}
