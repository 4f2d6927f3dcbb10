package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/config"
	"github.com/roomwatch/roomwatch/internal/inventory"
)

// Channel delivers one message once (no retries: the Notifier retries).
type Channel interface {
	// Name is the configured channel name.
	Name() string
	// Type is webhook, wecom, dingtalk or email.
	Type() string
	// Send delivers m. Errors are scrubbed of secrets; IsPermanent tells
	// whether retrying is pointless.
	Send(ctx context.Context, m Message) error
}

// Attempt is one delivery attempt, reported as it ends.
type Attempt struct {
	Channel  string        `json:"channel"`
	Type     string        `json:"type"`
	Event    Event         `json:"event"`
	Number   int           `json:"number"` // 1-based
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration"`
	OK       bool          `json:"ok"`
	// Error is the scrubbed error text; empty when OK.
	Error string `json:"error,omitempty"`
	// Final is true for the last attempt of a send (success, permanent error,
	// attempts exhausted or context done).
	Final bool `json:"final"`
}

// RetryConfig bounds the retries of one send.
type RetryConfig struct {
	// Attempts is the maximum number of attempts (default 4).
	Attempts int `yaml:"attempts"`
	// Backoff is the wait after the first failure, doubled each time (default 5s).
	Backoff config.Duration `yaml:"backoff"`
	// MaxBackoff caps the wait (default 2m).
	MaxBackoff config.Duration `yaml:"max_backoff"`
}

func (r RetryConfig) withDefaults() RetryConfig {
	if r.Attempts <= 0 {
		r.Attempts = 4
	}
	if r.Backoff <= 0 {
		r.Backoff = config.Duration(5 * time.Second)
	}
	if r.MaxBackoff <= 0 {
		r.MaxBackoff = config.Duration(2 * time.Minute)
	}
	return r
}

// Delay returns the wait after failed attempt n (1-based).
func (r RetryConfig) Delay(n int) time.Duration {
	r = r.withDefaults()
	d := r.Backoff.Std()
	for i := 1; i < n && d < r.MaxBackoff.Std(); i++ {
		d *= 2
	}
	return min(d, r.MaxBackoff.Std())
}

// Config is the `notify:` config section.
type Config struct {
	// Templates is a directory of <event>.tmpl overrides ("" = shipped only).
	Templates string          `yaml:"templates"`
	Retry     RetryConfig     `yaml:"retry"`
	Channels  []ChannelConfig `yaml:"channels"`
}

// ChannelConfig configures one channel. Which fields apply depends on Type.
type ChannelConfig struct {
	Name string `yaml:"name"`
	Type string `yaml:"type"` // webhook | wecom | dingtalk | email | sms
	// URL: webhook target; for wecom and dingtalk the base URL of the API or the
	// internal proxy standing in for it (defaults https://qyapi.weixin.qq.com and
	// https://oapi.dingtalk.com).
	// For sms the URL is a template (see SMSData: {{.Phone}}, {{urlquery .Text}}).
	URL     string            `yaml:"url"`
	Headers map[string]string `yaml:"headers"` // webhook and sms
	// Key is the WeCom robot key.
	Key inventory.Secret `yaml:"key"`
	// AccessToken and Secret are the DingTalk robot token and signing secret
	// (Secret empty: unsigned robot).
	AccessToken inventory.Secret `yaml:"access_token"`
	Secret      inventory.Secret `yaml:"secret"`
	// MsgType is markdown (default) or text for the robots.
	MsgType string `yaml:"msgtype"`
	// Mobiles are @-mentioned in robot messages.
	Mobiles []string `yaml:"mobiles"`
	// SMTP: Server is host:port; Username/Password enable PLAIN auth.
	Server   string           `yaml:"server"`
	Username string           `yaml:"username"`
	Password inventory.Secret `yaml:"password"`
	From     string           `yaml:"from"`
	To       []string         `yaml:"to"`
	// RequireTLS fails when the server does not offer STARTTLS.
	RequireTLS bool `yaml:"require_tls"`
	// InsecureSkipVerify disables certificate checks (internal CAs); avoid.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
	// SMS gateway (type sms): one request per phone in Phones; Method
	// (default POST) to the URL template with the Body template (may be
	// empty, e.g. for a GET gateway). Templates see SMSData and the functions
	// json (a JSON string with its quotes) and urlquery. A body is sent as
	// application/json unless Headers set Content-Type.
	Method string   `yaml:"method"`
	Body   string   `yaml:"body"`
	Phones []string `yaml:"phones"`
	// Timeout per attempt (default 10s).
	Timeout config.Duration `yaml:"timeout"`
}

// Validate checks the channels.
func (c *Config) Validate() error {
	seen := map[string]bool{}
	for i := range c.Channels {
		ch := &c.Channels[i]
		if ch.Name == "" {
			return &config.LineError{Msg: fmt.Sprintf("notify.channels[%d]: name is required", i)}
		}
		if seen[ch.Name] {
			return &config.LineError{Msg: fmt.Sprintf("notify channel %q defined twice", ch.Name)}
		}
		seen[ch.Name] = true
		if err := ch.validate(); err != nil {
			return &config.LineError{Msg: fmt.Sprintf("notify channel %q: %v", ch.Name, err)}
		}
	}
	return nil
}

func (c *ChannelConfig) validate() error {
	switch c.MsgType {
	case "", "markdown", "text":
	default:
		return fmt.Errorf("msgtype %q: use markdown or text", c.MsgType)
	}
	switch c.Type {
	case "webhook":
		if c.URL == "" {
			return errors.New("url is required")
		}
	case "wecom":
		if c.Key == "" {
			return errors.New("key is required")
		}
	case "dingtalk":
		if c.AccessToken == "" {
			return errors.New("access_token is required")
		}
	case "email":
		if c.Server == "" || c.From == "" || len(c.To) == 0 {
			return errors.New("server, from and to are required")
		}
	case "sms":
		if c.URL == "" || len(c.Phones) == 0 {
			return errors.New("url and phones are required")
		}
		switch strings.ToUpper(c.Method) {
		case "", http.MethodGet, http.MethodPost, http.MethodPut:
		default:
			return fmt.Errorf("method %q: use GET, POST or PUT", c.Method)
		}
		if _, _, err := parseSMSTemplates(*c); err != nil {
			return err
		}
	default:
		return fmt.Errorf("type %q: use webhook, wecom, dingtalk, email or sms", c.Type)
	}
	return nil
}

// Options are a Notifier's dependencies.
type Options struct {
	// Clock stamps attempts and times backoff waits (default real clock).
	Clock clockwork.Clock
	// Sleep waits between attempts; default waits on Clock. Tests may record.
	Sleep func(ctx context.Context, d time.Duration) error
	// HTTPClient for webhook and robots (default a client with the channel timeout).
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Templates overrides Config.Templates (nil: load from Config).
	Templates *Templates
}

// Notifier renders and sends notices. It is safe for concurrent use.
type Notifier struct {
	channels  map[string]Channel
	order     []string
	templates *Templates
	retry     RetryConfig
	clock     clockwork.Clock
	sleep     func(ctx context.Context, d time.Duration) error
	log       *slog.Logger
}

// New builds a Notifier from config.
func New(cfg Config, o Options) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	n := &Notifier{channels: map[string]Channel{}, retry: cfg.Retry.withDefaults(), clock: o.Clock, log: o.Logger, templates: o.Templates}
	if n.clock == nil {
		n.clock = clockwork.NewRealClock()
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	n.sleep = o.Sleep
	if n.sleep == nil {
		clk := n.clock
		n.sleep = func(ctx context.Context, d time.Duration) error {
			t := clk.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.Chan():
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	if n.templates == nil {
		t, err := LoadTemplates(cfg.Templates)
		if err != nil {
			return nil, fmt.Errorf("notify: %w", err)
		}
		n.templates = t
	}
	for _, cc := range cfg.Channels {
		ch, err := NewChannel(cc, o.HTTPClient, n.clock)
		if err != nil {
			return nil, fmt.Errorf("notify: %w", err)
		}
		n.channels[cc.Name] = ch
		n.order = append(n.order, cc.Name)
	}
	return n, nil
}

// AddChannel registers an extra channel (for example one built in code).
func (n *Notifier) AddChannel(ch Channel) {
	if _, ok := n.channels[ch.Name()]; !ok {
		n.order = append(n.order, ch.Name())
	}
	n.channels[ch.Name()] = ch
}

// Channels returns the channel names in config order.
func (n *Notifier) Channels() []string { return slices.Clone(n.order) }

// Templates returns the templates in use.
func (n *Notifier) Templates() *Templates { return n.templates }

// NewChannel builds one channel from its config. client may be nil.
func NewChannel(c ChannelConfig, client *http.Client, clock clockwork.Clock) (Channel, error) {
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("channel %q: %w", c.Name, err)
	}
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	timeout := c.Timeout.Std()
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	switch c.Type {
	case "webhook":
		return &webhook{cfg: c, client: client}, nil
	case "wecom":
		return &wecom{cfg: c, client: client}, nil
	case "dingtalk":
		return &dingtalk{cfg: c, client: client, clock: clock}, nil
	case "sms":
		return newSMS(c, client)
	default:
		return &email{cfg: c, timeout: timeout, clock: clock}, nil
	}
}

// Notify renders the event's template with d and sends it to each named channel
// (all channels when none are named). report, if not nil, is called after every
// attempt. The error joins the channels that finally failed.
func (n *Notifier) Notify(ctx context.Context, ev Event, d Data, channels []string, report func(Attempt)) error {
	m, err := n.templates.Render(ev, d)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	if len(channels) == 0 {
		channels = n.order
	}
	var errs []error
	for _, name := range channels {
		if err := n.Send(ctx, name, m, report); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Send delivers m on one channel with retries; report gets every attempt.
func (n *Notifier) Send(ctx context.Context, channel string, m Message, report func(Attempt)) error {
	ch, ok := n.channels[channel]
	if !ok {
		return fmt.Errorf("notify: unknown channel %q", channel)
	}
	var last error
	for i := 1; i <= n.retry.Attempts; i++ {
		a := Attempt{Channel: ch.Name(), Type: ch.Type(), Event: m.Event, Number: i, Start: n.clock.Now()}
		err := ch.Send(ctx, m)
		a.Duration = n.clock.Since(a.Start)
		final := err == nil || IsPermanent(err) || i == n.retry.Attempts || ctx.Err() != nil
		a.OK, a.Final = err == nil, final
		if err != nil {
			a.Error = err.Error()
			n.log.WarnContext(ctx, "notice attempt failed", "channel", ch.Name(), "type", ch.Type(), "event", m.Event, "attempt", i, "err", a.Error)
		}
		if report != nil {
			report(a)
		}
		if err == nil {
			return nil
		}
		last = err
		if final {
			break
		}
		if err := n.sleep(ctx, n.retry.Delay(i)); err != nil {
			last = fmt.Errorf("%w (then %w)", last, err)
			break
		}
	}
	return fmt.Errorf("notify %s (%s): %w", ch.Name(), ch.Type(), last)
}

// sendError is a scrubbed delivery error.
type sendError struct {
	msg       string
	permanent bool
}

func (e *sendError) Error() string { return e.msg }

// IsPermanent reports whether err says retrying cannot help (a 4xx answer other
// than 408/429, a bad config).
func IsPermanent(err error) bool {
	var se *sendError
	return errors.As(err, &se) && se.permanent
}

// scrub returns err's text with every secret replaced by <secret>. The original
// error is not wrapped: its text (a *url.Error holds the full URL) could leak.
func scrub(permanent bool, err error, secrets ...inventory.Secret) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		// Rebuild the message around a URL whose credentials are masked.
		msg = ue.Op + " " + strconv.Quote(redactURL(ue.URL)) + ": " + ue.Err.Error()
	}
	return &sendError{msg: scrubString(msg, secrets...), permanent: permanent}
}

// redactURL masks user info and the values of credential-like query parameters.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<url>"
	}
	if u.User != nil {
		u.User = url.User("<secret>")
	}
	q := u.Query()
	parts := make([]string, 0, len(q))
	for k, vs := range q {
		for _, v := range vs {
			switch strings.ToLower(k) {
			case "key", "access_token", "token", "sign", "secret", "password":
				v = "<secret>"
			default:
				v = url.QueryEscape(v)
			}
			parts = append(parts, url.QueryEscape(k)+"="+v)
		}
	}
	slices.Sort(parts)
	u.RawQuery = ""
	out := u.String()
	if len(parts) > 0 {
		out += "?" + strings.Join(parts, "&")
	}
	return out
}

func scrubString(s string, secrets ...inventory.Secret) string {
	for _, sec := range secrets {
		v := sec.Reveal()
		if v == "" {
			continue
		}
		s = strings.ReplaceAll(s, v, "<secret>")
		// Query-escaped forms appear in URLs.
		s = strings.ReplaceAll(s, urlQueryEscape(v), "<secret>")
	}
	return s
}
