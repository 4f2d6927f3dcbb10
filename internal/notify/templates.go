package notify

import (
	"bytes"
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"github.com/roomwatch/roomwatch/internal/calendar"
)

// Event is what a notice is about; each event has its own template.
type Event string

// Events with shipped Chinese templates (templates/<event>.tmpl).
const (
	EventNew       Event = "new"       // 新工单
	EventDispatch  Event = "dispatch"  // 派单: to the assignee personally
	EventWarning   Event = "warning"   // 时限预警: warning point reached
	EventBreach    Event = "breach"    // 超时: timer breached (first escalation)
	EventEscalate  Event = "escalate"  // 升级: later escalation steps
	EventRecovered Event = "recovered" // 故障恢复
	EventClosed    Event = "closed"    // 工单关闭
	// EventRejected (用户驳回): the customer rejected the fix and the ticket
	// reopened; to the assignee and the project manager. Extra carries
	// "reason" (the customer's note) and "rejected_by".
	EventRejected Event = "rejected"
	// EventComplaint (投诉): a complaint was filed; to the project manager.
	// Data.Complaint carries it (and TicketID, Title, URL its ticket, if any).
	EventComplaint Event = "complaint"
	// EventComplaintOverdue (投诉超时未答复): a complaint is still unanswered
	// at its reply deadline; to the project manager, once.
	EventComplaintOverdue Event = "complaint_overdue"
	// EventComplaintReply (投诉答复): the complaint was answered; to the
	// person who filed it (Data.To).
	EventComplaintReply Event = "complaint_reply"
)

// Events returns every event in display order.
func Events() []Event {
	return []Event{EventNew, EventDispatch, EventWarning, EventBreach, EventEscalate, EventRecovered, EventClosed, EventRejected,
		EventComplaint, EventComplaintOverdue, EventComplaintReply}
}

// Data is what templates see. Fields are already display strings where the
// caller knows the wording (Level "II级 严重", Category "机房IT设备", Timer "响应",
// Role "项目经理"); times are shown in Location (Asia/Shanghai when nil).
type Data struct {
	TicketID string    `json:"ticket_id"`
	Title    string    `json:"title,omitempty"`
	Summary  string    `json:"summary,omitempty"`
	Level    string    `json:"level,omitempty"`
	Category string    `json:"category,omitempty"`
	Group    string    `json:"group,omitempty"`
	Site     string    `json:"site,omitempty"`
	Device   string    `json:"device,omitempty"`
	Status   string    `json:"status,omitempty"`
	OpenedAt time.Time `json:"opened_at,omitzero"`
	// Timer fields, for warning/breach/escalate.
	Timer      string        `json:"timer,omitempty"`
	Deadline   time.Time     `json:"deadline,omitzero"`
	Remaining  time.Duration `json:"remaining,omitempty"`
	BreachedBy time.Duration `json:"breached_by,omitempty"`
	Role       string        `json:"role,omitempty"`
	Assignee   string        `json:"assignee,omitempty"`
	// Recovery/closing fields.
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	ClosedAt   time.Time `json:"closed_at,omitzero"`
	Cause      string    `json:"cause,omitempty"`
	Resolution string    `json:"resolution,omitempty"`
	// URL links to the ticket in the web UI.
	URL    string            `json:"url,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
	Extra  map[string]string `json:"extra,omitempty"`
	// To are the people the notice is for (the duty roster's person on
	// duty); empty: the channels' configured addressees (see Recipient).
	To []Recipient `json:"to,omitempty"`
	// Complaint is the complaint of a complaint notice (the complaint
	// events); nil for the ticket events. TicketID, Title and URL are then
	// the ticket it is about, empty when it is about the service in general.
	Complaint *Complaint `json:"complaint,omitempty"`

	Location *time.Location `json:"-"`
}

// Complaint is a complaint (投诉) as its notices show it.
type Complaint struct {
	ID string `json:"id"` // "#3"
	// Text is what the complainant said; Contact how to reach them.
	Text    string `json:"text"`
	Contact string `json:"contact,omitempty"`
	// FiledBy is who filed it (the account's name shown).
	FiledBy string    `json:"filed_by"`
	FiledAt time.Time `json:"filed_at"`
	// DueAt is the reply deadline; Overdue how long past it (overdue notice).
	DueAt   time.Time     `json:"due_at"`
	Overdue time.Duration `json:"overdue,omitempty"`
	// Reply, RepliedBy and RepliedAt: the answer (reply notice).
	Reply     string    `json:"reply,omitempty"`
	RepliedBy string    `json:"replied_by,omitempty"`
	RepliedAt time.Time `json:"replied_at,omitzero"`
	// URL links to the complaints page of the web UI.
	URL string `json:"url,omitempty"`
}

// Message is a rendered notice.
type Message struct {
	Event Event
	// Title is one line (mail subject, DingTalk markdown title).
	Title string
	// Body is Markdown, readable as plain text too.
	Body string
	// Data is sent as-is in the generic webhook's JSON.
	Data *Data
	// Attachments go with an e-mail (multipart/mixed); the other channels
	// send only Title and Body.
	Attachments []Attachment
	// To are the message's recipients (see Recipient); Render copies them
	// from Data.To.
	To []Recipient
}

// Attachment is a file sent with an e-mail.
type Attachment struct {
	Name        string // file name, may be Chinese (RFC 2231 encoded on the wire)
	ContentType string // application/octet-stream when empty
	Data        []byte
}

//go:embed templates/*.tmpl
var shipped embed.FS

// Templates renders messages per event. It is immutable after construction.
type Templates struct {
	byEvent map[Event]*template.Template
}

func funcs(loc func() *time.Location) template.FuncMap {
	return template.FuncMap{
		// time formats a time in the data's location: 2026-02-13 17:00.
		"time": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(loc()).Format("2006-01-02 15:04")
		},
		// dur formats a duration in Chinese: 1小时30分钟.
		"dur": FormatDuration,
		"default": func(def, v string) string {
			if strings.TrimSpace(v) == "" {
				return def
			}
			return v
		},
	}
}

// FormatDuration writes d in Chinese units, e.g. 2天3小时, 1小时30分钟, 45秒.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	d = d.Round(time.Second)
	if d < time.Minute {
		return fmt.Sprintf("%d秒", int(d/time.Second))
	}
	days := int(d / (24 * time.Hour))
	h := int(d % (24 * time.Hour) / time.Hour)
	m := int(d % time.Hour / time.Minute)
	var b strings.Builder
	if days > 0 {
		fmt.Fprintf(&b, "%d天", days)
	}
	if h > 0 {
		fmt.Fprintf(&b, "%d小时", h)
	}
	if m > 0 && days == 0 {
		fmt.Fprintf(&b, "%d分钟", m)
	}
	if b.Len() == 0 {
		b.WriteString("0分钟")
	}
	return b.String()
}

func parseTemplate(name, text string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=error").
		Funcs(funcs(func() *time.Location { return time.UTC })).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	for _, part := range []string{"title", "body"} {
		if t.Lookup(part) == nil {
			return nil, fmt.Errorf("template %s: must define %q", name, part)
		}
	}
	return t, nil
}

// DefaultTemplates returns the shipped Chinese templates.
func DefaultTemplates() *Templates {
	t, err := LoadTemplates("")
	if err != nil {
		// The shipped templates are tested; this cannot happen in a release.
		panic(err)
	}
	return t
}

// LoadTemplates returns the shipped templates, each replaced by dir/<event>.tmpl
// when that file exists (dir "" means shipped only). A template file defines
// {{define "title"}} and {{define "body"}}; see docs/notify.md for the fields.
func LoadTemplates(dir string) (*Templates, error) {
	ts := &Templates{byEvent: map[Event]*template.Template{}}
	for _, ev := range Events() {
		name := string(ev) + ".tmpl"
		text, err := shipped.ReadFile("templates/" + name)
		if err != nil {
			return nil, fmt.Errorf("shipped template %s: %w", name, err)
		}
		if dir != "" {
			b, err := os.ReadFile(filepath.Join(dir, name))
			switch {
			case err == nil:
				text = b
				name = filepath.Join(dir, name)
			case !os.IsNotExist(err):
				return nil, fmt.Errorf("load templates: %w", err)
			}
		}
		t, err := parseTemplate(name, string(text))
		if err != nil {
			return nil, fmt.Errorf("load templates: %w", err)
		}
		ts.byEvent[ev] = t
	}
	return ts, nil
}

// Render renders the message for an event.
func (ts *Templates) Render(ev Event, d Data) (Message, error) {
	t, ok := ts.byEvent[ev]
	if !ok {
		return Message{}, fmt.Errorf("render: no template for event %q", ev)
	}
	loc := d.Location
	if loc == nil {
		var err error
		if loc, err = time.LoadLocation(calendar.DefaultZone); err != nil {
			loc = time.UTC
		}
	}
	// Clone so that concurrent renders each bind their own location.
	c, err := t.Clone()
	if err != nil {
		return Message{}, fmt.Errorf("render %s: %w", ev, err)
	}
	c.Funcs(funcs(func() *time.Location { return loc }))
	var title, body bytes.Buffer
	if err := c.ExecuteTemplate(&title, "title", d); err != nil {
		return Message{}, fmt.Errorf("render %s title: %w", ev, err)
	}
	if err := c.ExecuteTemplate(&body, "body", d); err != nil {
		return Message{}, fmt.Errorf("render %s body: %w", ev, err)
	}
	dd := d
	return Message{
		Event: ev,
		Title: strings.TrimSpace(title.String()),
		Body:  strings.TrimSpace(body.String()) + "\n",
		Data:  &dd,
		To:    d.To,
	}, nil
}
