package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/template"
)

// SMSData is what an SMS gateway's URL and body templates see: one request
// goes out per phone number.
type SMSData struct {
	Phone string
	// Text is the notice in one line (its title), what the SMS says.
	Text  string
	Event Event
}

// smsFuncs are the template functions: json quotes a string as a JSON
// string (with its quotes), urlquery escapes it for a query or a form.
var smsFuncs = template.FuncMap{
	"json": func(s string) (string, error) {
		b, err := json.Marshal(s)
		return string(b), err
	},
	"urlquery": url.QueryEscape,
}

// sms sends a notice through an HTTP SMS gateway (police networks run their
// own SMS platforms): a templated request per phone number.
type sms struct {
	cfg    ChannelConfig
	client *http.Client
	url    *template.Template
	body   *template.Template
}

func parseSMSTemplates(c ChannelConfig) (u, body *template.Template, err error) {
	if u, err = template.New("url").Funcs(smsFuncs).Option("missingkey=error").Parse(c.URL); err != nil {
		return nil, nil, fmt.Errorf("url template: %w", err)
	}
	if body, err = template.New("body").Funcs(smsFuncs).Option("missingkey=error").Parse(c.Body); err != nil {
		return nil, nil, fmt.Errorf("body template: %w", err)
	}
	return u, body, nil
}

func newSMS(c ChannelConfig, client *http.Client) (*sms, error) {
	u, body, err := parseSMSTemplates(c)
	if err != nil {
		return nil, err
	}
	return &sms{cfg: c, client: client, url: u, body: body}, nil
}

func (s *sms) Name() string { return s.cfg.Name }
func (s *sms) Type() string { return "sms" }

func (s *sms) method() string {
	if s.cfg.Method == "" {
		return http.MethodPost
	}
	return strings.ToUpper(s.cfg.Method)
}

// Send sends one request per phone (the recipients' phones when they have
// any, else the configured phones); the first failure ends the send (the
// Notifier retries the whole message, so a number already reached may get
// the text twice: gateways deduplicate or the duty engineer sees it twice,
// never zero times).
func (s *sms) Send(ctx context.Context, m Message) error {
	for _, phone := range recipientPhones(m.To, s.cfg.Phones) {
		if err := s.sendOne(ctx, SMSData{Phone: phone, Text: m.Title, Event: m.Event}); err != nil {
			return fmt.Errorf("sms to %s: %w", phone, err)
		}
	}
	return nil
}

func (s *sms) sendOne(ctx context.Context, d SMSData) error {
	var u, body bytes.Buffer
	if err := s.url.Execute(&u, d); err != nil {
		return &sendError{msg: "url template: " + err.Error(), permanent: true}
	}
	if err := s.body.Execute(&body, d); err != nil {
		return &sendError{msg: "body template: " + err.Error(), permanent: true}
	}
	var rd io.Reader
	if body.Len() > 0 {
		rd = bytes.NewReader(body.Bytes())
	}
	req, err := http.NewRequestWithContext(ctx, s.method(), u.String(), rd)
	if err != nil {
		return scrub(true, &sendError{msg: "bad URL: " + err.Error(), permanent: true}, secretOf(u.String()))
	}
	req.Header.Set("User-Agent", "roomwatch-notify")
	if body.Len() > 0 {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	for k, v := range s.cfg.Headers {
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		// The URL may carry the gateway's key: scrub it from the error.
		return scrub(false, err, secretOf(u.String()))
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		perm := resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != 408 && resp.StatusCode != 429
		return &sendError{msg: fmt.Sprintf("HTTP %d: %s", resp.StatusCode, snippet(rb)), permanent: perm}
	}
	return nil
}
