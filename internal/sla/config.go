package sla

import (
	"fmt"
	"time"

	// Binaries run on hosts without a zoneinfo database (Windows, minimal Linux).
	_ "time/tzdata"

	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/config"
)

// Config is the `sla:` section of the collector config: which contract's profile
// is active and where the data lives.
type Config struct {
	// Profile is the default profile's name, e.g. "seed003": the one a
	// ticket gets when no select rule matches.
	Profile string `yaml:"profile"`
	// Select chooses other profiles by site, category, class or label; the
	// first matching rule wins.
	Select []SelectRule `yaml:"select"`
	// Dir holds the profiles, one *.yml per contract. Default rules/sla.
	Dir string `yaml:"dir"`
	// Holidays is the holiday data file. Default rules/calendars/cn-holidays.yml.
	Holidays string `yaml:"holidays"`
	// TimeZone of the calendars. Default Asia/Shanghai.
	TimeZone string `yaml:"time_zone"`
}

// DefaultConfig returns the defaults (profile seed001).
func DefaultConfig() Config {
	return Config{Profile: "seed001", Dir: "rules/sla", Holidays: "rules/calendars/cn-holidays.yml", TimeZone: calendar.DefaultZone}
}

// ApplyDefaults implements config.Defaulter: it fills the fields left empty.
func (c *Config) ApplyDefaults() {
	d := DefaultConfig()
	if c.Profile == "" {
		c.Profile = d.Profile
	}
	if c.Dir == "" {
		c.Dir = d.Dir
	}
	if c.Holidays == "" {
		c.Holidays = d.Holidays
	}
	if c.TimeZone == "" {
		c.TimeZone = d.TimeZone
	}
}

// Validate implements config.Validator (after ApplyDefaults): it checks the
// time zone.
func (c *Config) Validate() error {
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		return &config.LineError{Msg: fmt.Sprintf("sla.time_zone %q: %v", c.TimeZone, err)}
	}
	return nil
}

// Loaded is the result of Config.Load.
type Loaded struct {
	Set *Set
	// Active is the default profile; Selection chooses among all.
	Active    *Profile
	Selection *Selection
	Holidays  *calendar.Holidays
	Location  *time.Location
}

// MissingHolidayYears returns which of now's year and the next lack holiday
// data; the caller logs a warning (and the UI shows one) when it is not empty.
func (l *Loaded) MissingHolidayYears(now time.Time) []int {
	return l.Holidays.MissingYears(now.In(l.Location))
}

// Load reads the holiday data and every profile and selects the active one.
// Relative paths are taken as they are (relative to the working directory);
// the caller resolves them against the config file's directory first if wanted.
func (c Config) Load() (*Loaded, error) {
	c.ApplyDefaults()
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("sla config: %w", err)
	}
	loc, _ := time.LoadLocation(c.TimeZone)
	hol, err := calendar.LoadHolidays(c.Holidays)
	if err != nil {
		return nil, fmt.Errorf("sla config: %w", err)
	}
	set, err := LoadProfiles(c.Dir, LoadOptions{Holidays: hol, Location: loc})
	if err != nil {
		return nil, fmt.Errorf("sla config: %w", err)
	}
	p, ok := set.Get(c.Profile)
	if !ok {
		return nil, fmt.Errorf("sla config: profile %q not found in %s (have %v)", c.Profile, c.Dir, set.Names())
	}
	sel, err := NewSelection(set, p, c.Select)
	if err != nil {
		return nil, fmt.Errorf("sla config: %w", err)
	}
	return &Loaded{Set: set, Active: p, Selection: sel, Holidays: hol, Location: loc}, nil
}
