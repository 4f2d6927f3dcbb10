package deliver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/notify"
	"github.com/roomwatch/roomwatch/internal/report"
)

// Builder makes a report document; *report.Reporter implements it.
type Builder interface {
	Build(ctx context.Context, k report.Kind, p report.Period) (*report.Document, error)
}

// Sender sends a message through a named channel, retrying as configured;
// *notify.Notifier implements it.
type Sender interface {
	Send(ctx context.Context, channel string, m notify.Message, report func(notify.Attempt)) error
}

// Options configure New. Jobs, Dir, Reports and Location are required;
// Sender when a job names channels.
type Options struct {
	Jobs     []Job
	Dir      string
	Reports  Builder
	Sender   Sender
	Location *time.Location
	Clock    clockwork.Clock
	// FirstStart returns when the collector first started on its data
	// directory: no due time before it is caught up.
	FirstStart func(ctx context.Context, now time.Time) (time.Time, error)
	Logger     *slog.Logger
}

// Scheduler runs the jobs.
type Scheduler struct{ o Options }

// New checks the options and returns a Scheduler.
func New(o Options) (*Scheduler, error) {
	if o.Dir == "" || o.Reports == nil || o.Location == nil {
		return nil, errors.New("deliver: dir, reports and location are required")
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Jobs = append([]Job(nil), o.Jobs...)
	for i := range o.Jobs {
		j := &o.Jobs[i]
		var err error
		if j.hour, j.mm, err = parseAt(j.At); err != nil {
			return nil, fmt.Errorf("deliver: %s at %q: %w", j.Kind, j.At, err)
		}
		if len(j.Channels) > 0 && o.Sender == nil {
			return nil, fmt.Errorf("deliver: %s names channels but no sender is set", j.Kind)
		}
	}
	return &Scheduler{o: o}, nil
}

// Receipt is what was delivered for one run, kept beside its files as
// KIND-PERIOD.sent.json: its presence means the run is done.
type Receipt struct {
	Kind     report.Kind      `json:"kind"`
	Period   string           `json:"period"`
	Due      time.Time        `json:"due"`
	Made     time.Time        `json:"made"`
	Files    []string         `json:"files"`
	Attempts []notify.Attempt `json:"attempts,omitempty"`
	// Errors are the channels that failed, with why.
	Errors map[string]string `json:"errors,omitempty"`
}

func (s *Scheduler) receiptPath(k report.Kind, label string) string {
	return filepath.Join(s.o.Dir, string(k)+"-"+label+".sent.json")
}

// Run catches up the latest due run of each job (files missing, due after
// the first start), then runs each job when due, until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	now := s.o.Clock.Now()
	var first time.Time
	if s.o.FirstStart != nil {
		f, err := s.o.FirstStart(ctx, now)
		if err != nil {
			s.o.Logger.Error("scheduled reports: first start unknown; no catch-up", "err", err)
			f = now
		}
		first = f
	}
	for i := range s.o.Jobs {
		j := &s.o.Jobs[i]
		if due := j.prev(now, s.o.Location); !due.Before(first) {
			s.runLogged(ctx, j, due)
		}
	}
	for {
		now := s.o.Clock.Now()
		var next time.Time
		for i := range s.o.Jobs {
			if n := s.o.Jobs[i].next(now, s.o.Location); next.IsZero() || n.Before(next) {
				next = n
			}
		}
		if next.IsZero() {
			<-ctx.Done()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-s.o.Clock.After(next.Sub(now)):
		}
		for i := range s.o.Jobs {
			if j := &s.o.Jobs[i]; j.prev(s.o.Clock.Now(), s.o.Location).Equal(next) {
				s.runLogged(ctx, j, next)
			}
		}
	}
}

func (s *Scheduler) runLogged(ctx context.Context, j *Job, due time.Time) {
	rc, err := s.RunJob(ctx, j, due)
	switch {
	case err != nil:
		s.o.Logger.Error("scheduled report failed", "kind", j.Kind, "due", due, "err", err)
	case rc == nil: // already delivered
	case len(rc.Errors) > 0:
		s.o.Logger.Warn("scheduled report written; some channels failed", "kind", j.Kind, "period", rc.Period, "errors", rc.Errors)
	default:
		s.o.Logger.Info("scheduled report delivered", "kind", j.Kind, "period", rc.Period, "files", rc.Files, "channels", j.Channels)
	}
}

// RunJob makes the report a job owes at due (the period before it), writes
// its files, sends it through the job's channels and writes the receipt.
// A run whose receipt exists does nothing and returns nil, nil.
func (s *Scheduler) RunJob(ctx context.Context, j *Job, due time.Time) (*Receipt, error) {
	p, err := report.PeriodOf(j.Kind, "", due, s.o.Location)
	if err != nil {
		return nil, err
	}
	rp := s.receiptPath(j.Kind, p.Label)
	if _, err := os.Stat(rp); err == nil {
		return nil, nil
	}
	doc, err := s.o.Reports.Build(ctx, j.Kind, p)
	if err != nil {
		return nil, fmt.Errorf("build %s %s: %w", j.Kind, p.Label, err)
	}
	if err := os.MkdirAll(s.o.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("reports dir: %w", err)
	}
	rc := &Receipt{Kind: j.Kind, Period: p.Label, Due: due, Made: s.o.Clock.Now()}
	var atts []notify.Attachment
	for _, f := range j.Formats {
		var b strings.Builder
		ct := "text/html; charset=utf-8"
		if f == FormatXLSX {
			ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
			err = doc.WriteExcel(&b)
		} else {
			err = doc.WriteHTML(&b)
		}
		if err != nil {
			return nil, fmt.Errorf("write %s %s: %w", j.Kind, f, err)
		}
		name := string(j.Kind) + "-" + p.Label + "." + f
		if err := writeFileAtomic(filepath.Join(s.o.Dir, name), []byte(b.String())); err != nil {
			return nil, err
		}
		rc.Files = append(rc.Files, name)
		atts = append(atts, notify.Attachment{Name: name, ContentType: ct, Data: []byte(b.String())})
	}
	if len(j.Channels) > 0 {
		m := notify.Message{Title: fmt.Sprintf("%s %s %s", doc.Bureau, doc.Title, p.Label), Body: body(doc, rc.Files), Attachments: atts}
		for _, ch := range j.Channels {
			err := s.o.Sender.Send(ctx, ch, m, func(a notify.Attempt) { rc.Attempts = append(rc.Attempts, a) })
			if err != nil {
				if rc.Errors == nil {
					rc.Errors = map[string]string{}
				}
				rc.Errors[ch] = err.Error()
			}
		}
	}
	b, err := json.MarshalIndent(rc, "", "  ")
	if err != nil {
		return nil, err
	}
	if len(rc.Errors) == 0 {
		if err := writeFileAtomic(rp, b); err != nil {
			return nil, err
		}
	}
	return rc, nil
}

// body is the message text: the title, the period and the key figures.
func body(doc *report.Document, files []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s（%s）\n统计期：%s\n生成时间：%s\n\n", doc.Title, doc.TitleEN, doc.Period, doc.Generated)
	for _, f := range doc.Summary {
		fmt.Fprintf(&b, "- %s：%v\n", f.Name, f.Value)
	}
	fmt.Fprintf(&b, "\n附件 Files: %s\n", strings.Join(files, ", "))
	return b.String()
}

// writeFileAtomic writes data to path through a synced temporary file.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
