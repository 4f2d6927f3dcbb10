package deliver

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/xuri/excelize/v2"

	"github.com/roomwatch/roomwatch/internal/notify"
	"github.com/roomwatch/roomwatch/internal/report"
	"github.com/roomwatch/roomwatch/internal/report/reporttest"
	"github.com/roomwatch/roomwatch/internal/store"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

var loc = reporttest.Shanghai()

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

// TestDueTimes pins when each kind of job runs and which period it makes.
func TestDueTimes(t *testing.T) {
	tests := []struct {
		job        Job
		now        string
		prev, next string
		period     string // of the run due at prev
	}{
		{Job{Kind: report.KindDaily, At: "08:00"}, "2026-12-06 07:59", "2026-12-05 08:00", "2026-12-06 08:00", "2026-12-04"},
		{Job{Kind: report.KindDaily, At: "08:00"}, "2026-12-06 08:00", "2026-12-06 08:00", "2026-12-07 08:00", "2026-12-05"},
		{Job{Kind: report.KindParts, At: "08:15"}, "2026-12-06 10:00", "2026-11-30 08:15", "2026-12-07 08:15", "2026-W48"},
		{Job{Kind: report.KindMonthly, At: "08:30", Day: 1}, "2026-12-06 10:00", "2026-12-01 08:30", "2027-01-01 08:30", "2026-11"},
		{Job{Kind: report.KindMonthly, At: "09:00", Day: 5}, "2027-01-03 00:00", "2026-12-05 09:00", "2027-01-05 09:00", "2026-11"},
		{Job{Kind: report.KindQuarterly, At: "09:00", Day: 1}, "2026-12-06 10:00", "2026-10-01 09:00", "2027-01-01 09:00", "2026Q3"},
		{Job{Kind: report.KindQuarterly, At: "09:00", Day: 1}, "2027-01-01 09:00", "2027-01-01 09:00", "2027-04-01 09:00", "2026Q4"},
	}
	for _, tc := range tests {
		t.Run(string(tc.job.Kind)+" "+tc.now, func(t *testing.T) {
			j := tc.job
			var err error
			if j.hour, j.mm, err = parseAt(j.At); err != nil {
				t.Fatal(err)
			}
			now := at(tc.now)
			if got := j.prev(now, loc); !got.Equal(at(tc.prev)) {
				t.Errorf("prev = %s, want %s", got, tc.prev)
			}
			if got := j.next(now, loc); !got.Equal(at(tc.next)) {
				t.Errorf("next = %s, want %s", got, tc.next)
			}
			p, err := report.PeriodOf(j.Kind, "", at(tc.prev), loc)
			if err != nil || p.Label != tc.period {
				t.Errorf("period of the run due at %s = %q (%v), want %s", tc.prev, p.Label, err, tc.period)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name string
		jobs []Job
		want string // in the error; "" for none
	}{
		{"defaults", nil, ""},
		{"bad kind", []Job{{Kind: "weekly", At: "08:00"}}, `kind "weekly"`},
		{"bad time", []Job{{Kind: report.KindDaily, At: "25:00"}}, "want HH:MM"},
		{"day on a daily", []Job{{Kind: report.KindDaily, At: "08:00", Day: 3}}, "day 3"},
		{"day 31", []Job{{Kind: report.KindMonthly, At: "08:00", Day: 31}}, "day 31"},
		{"bad format", []Job{{Kind: report.KindMonthly, At: "08:00", Formats: []string{"pdf"}}}, `format "pdf"`},
		{"unknown channel", []Job{{Kind: report.KindMonthly, At: "08:00", Channels: []string{"nobody"}}}, `channel "nobody"`},
		{"known channel", []Job{{Kind: report.KindMonthly, At: "08:00", Channels: []string{"bureau-mail"}}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Config{Deliver: tc.jobs}
			c.ApplyDefaults()
			err := c.Validate([]string{"bureau-mail"})
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Validate = %v, want %q", err, tc.want)
			}
		})
	}
}

// sender records what it is asked to send (the e-mail channel itself,
// attachments on the wire, is tested in internal/notify).
type sender struct {
	mu   sync.Mutex
	sent []notify.Message
	to   []string
}

func (s *sender) Send(_ context.Context, ch string, m notify.Message, report func(notify.Attempt)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent, s.to = append(s.sent, m), append(s.to, ch)
	report(notify.Attempt{Channel: ch, Type: "email", Number: 1, OK: true, Final: true})
	return nil
}

func (s *sender) messages() ([]notify.Message, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent), slices.Clone(s.to)
}

// TestMonthlyDeliveredOnTheFirst runs the scheduler on a fake clock over the
// report fixture (September 2026): started on 30 September, it makes
// nothing from before its first start; at 08:30 on 1 October it writes
// September's monthly report as HTML and Excel, sends both to the bureau's
// channel, and a restart the same day sends nothing twice.
func TestMonthlyDeliveredOnTheFirst(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	start := at("2026-09-30 20:00")
	reporttest.Build(t, dataDir, at("2026-10-03 10:00")) // info series after the month
	clk := clockwork.NewFakeClockAt(start)
	env := ticketstest.NewAt(t, filepath.Join(dataDir, "tickets.db"), clk, nil)
	st, err := store.Open(store.Options{Dir: filepath.Join(dataDir, "tsdb"), Retention: 400 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rep, err := report.New(report.Sources{Tickets: env.Service, History: env.Store, Series: st, Inventory: reporttest.ParseInventory(t)},
		report.Options{Bureau: "某县公安局", Location: loc, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dataDir, "reports")
	snd := &sender{}
	cfg := Config{Deliver: []Job{{Kind: report.KindMonthly, At: "08:30", Channels: []string{"bureau-mail"}}}}
	cfg.ApplyDefaults()
	if err := cfg.Validate([]string{"bureau-mail"}); err != nil {
		t.Fatal(err)
	}
	run := func(ctx context.Context) (wait func()) {
		s, err := New(Options{Jobs: cfg.Deliver, Dir: out, Reports: rep, Sender: snd, Location: loc, Clock: clk,
			FirstStart: func(context.Context, time.Time) (time.Time, error) { return start, nil }})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { defer close(done); s.Run(ctx) }()
		return func() { <-done }
	}
	ctx, cancel := context.WithCancel(context.Background())
	wait := run(ctx)
	// Started after 1 September 08:30: August is not caught up.
	if err := clk.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if m, _ := snd.messages(); len(m) != 0 {
		t.Fatalf("sent %d messages before the first due time", len(m))
	}
	clk.Advance(at("2026-10-01 08:30").Sub(clk.Now()))
	waitFor(t, func() bool { _, err := os.Stat(filepath.Join(out, "monthly-2026-09.sent.json")); return err == nil })
	cancel()
	wait()
	msgs, to := snd.messages()
	if len(msgs) != 1 || to[0] != "bureau-mail" {
		t.Fatalf("sent %d messages to %v, want September's report once to bureau-mail", len(msgs), to)
	}
	m := msgs[0]
	if !strings.Contains(m.Title, "某县公安局") || !strings.Contains(m.Title, "2026-09") || !strings.Contains(m.Body, "统计期") {
		t.Errorf("message %q / %q", m.Title, m.Body)
	}
	var names []string
	for _, a := range m.Attachments {
		names = append(names, a.Name)
	}
	if !slices.Equal(names, []string{"monthly-2026-09.html", "monthly-2026-09.xlsx"}) {
		t.Errorf("attachments %v", names)
	}
	// The kept workbook is September's report (the fixture's one fault).
	x, err := excelize.OpenFile(filepath.Join(out, "monthly-2026-09.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if v, err := x.GetCellValue("概况", "B7"); err != nil || v != "4" {
		t.Errorf("概况!B7 = %q (%v), want the fixture's 4 faults", v, err)
	}
	// A restart the same day finds the receipt and sends nothing again.
	ctx2, cancel2 := context.WithCancel(context.Background())
	wait2 := run(ctx2)
	if err := clk.BlockUntilContext(ctx2, 1); err != nil {
		t.Fatal(err)
	}
	cancel2()
	wait2()
	if msgs, _ := snd.messages(); len(msgs) != 1 {
		t.Errorf("after a restart: %d messages, want still 1", len(msgs))
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
