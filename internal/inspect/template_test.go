package inspect

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/roomwatch/roomwatch/internal/inventory"
)

// TestShippedTemplates parses rules/inspections strictly, checks every query
// is valid PromQL, and that every rhythm and device class is covered.
func TestShippedTemplates(t *testing.T) {
	t.Parallel()
	ts, err := LoadDir("../../rules/inspections")
	if err != nil {
		t.Fatal(err)
	}
	rhythms := map[Rhythm]bool{}
	classes := map[inventory.Class]bool{}
	fileCheck := false
	for _, tm := range ts {
		rhythms[tm.Rhythm] = true
		if tm.Cron() == nil {
			t.Errorf("%s: no schedule", tm.Name)
		}
		for _, it := range tm.Items {
			if it.Scope == ScopeDevice && len(it.Select.Class) == 0 {
				for _, c := range inventory.Classes() {
					classes[c] = true
				}
			}
			for _, c := range it.Select.Class {
				classes[c] = true
			}
			if it.File != nil {
				fileCheck = true
			}
			if it.Metric != nil {
				q := strings.ReplaceAll(it.Metric.Query, "$period", "1d")
				if _, err := parser.NewParser(parser.Options{}).ParseExpr(q); err != nil {
					t.Errorf("%s/%s: %v", tm.Name, it.ID, err)
				}
			}
		}
	}
	for _, r := range Rhythms() {
		if r != OnDemand && !rhythms[r] {
			t.Errorf("no template for rhythm %s", r)
		}
	}
	for _, c := range inventory.Classes() {
		if !classes[c] {
			t.Errorf("no item for class %s", c)
		}
	}
	if !fileCheck {
		t.Error("no data-export freshness check")
	}
}

func TestTemplateErrors(t *testing.T) {
	t.Parallel()
	base := "name: x\ntitle: X\nrhythm: daily\nitems:\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown key", base + "  - id: a\n    name: 甲\n    name_en: A\n    colour: red\n    manual: {}\n", "t.yml:8"},
		{"bad threshold", base + "  - id: a\n    name: 甲\n    name_en: A\n    metric:\n      query: up\n      abnormal: \"about 3\"\n", "t.yml:10"},
		{"no check", base + "  - id: a\n    name: 甲\n    name_en: A\n", "t.yml:5"},
		{"bad class", base + "  - id: a\n    name: 甲\n    name_en: A\n    select: {class: [toaster]}\n    manual: {}\n", "toaster"},
		{"bad rhythm", "name: x\ntitle: X\nrhythm: hourly\nitems: [{id: a, name: 甲, name_en: A, manual: {}}]\n", "rhythm"},
		{"bad cron", "name: x\ntitle: X\nrhythm: daily\nschedule: '61 * * * *'\nitems: [{id: a, name: 甲, name_en: A, manual: {}}]\n", "minute"},
		{"duplicate", base + "  - {id: a, name: 甲, name_en: A, manual: {}}\n  - {id: a, name: 甲, name_en: A, manual: {}}\n", "t.yml:6"},
		{"bad level", base + "  - {id: a, name: 甲, name_en: A, manual: {}, level: V}\n", "fault level \"V\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTemplate("t.yml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestCronNext(t *testing.T) {
	t.Parallel()
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, sh)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tc := range []struct{ expr, from, want string }{
		{"30 8 * * *", "2026-11-22 08:29", "2026-11-22 08:30"},
		{"30 8 * * *", "2026-11-22 08:30", "2026-11-23 08:30"},
		{"30 9 * * 3", "2026-11-22 10:00", "2026-11-25 09:30"},
		{"30 8 22 * *", "2026-11-22 09:00", "2026-12-22 08:30"},
		{"30 8 25 3,6,9,12 *", "2026-04-01 00:00", "2026-06-25 08:30"},
		{"*/15 * * * *", "2026-01-01 00:01", "2026-01-01 00:15"},
		{"0 0 29 2 *", "2026-03-01 00:00", "2028-02-29 00:00"},
		{"0 12 1 * 0", "2026-11-02 00:00", "2026-11-08 12:00"}, // Sunday or the 1st
		{"0 0 30 2 *", "2026-01-01 00:00", ""},
	} {
		c, err := ParseCron(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		got := c.Next(at(tc.from))
		if tc.want == "" {
			if !got.IsZero() {
				t.Errorf("%s from %s: %v, want none", tc.expr, tc.from, got)
			}
			continue
		}
		if !got.Equal(at(tc.want)) {
			t.Errorf("%s from %s: %v, want %s", tc.expr, tc.from, got, tc.want)
		}
	}
	for _, bad := range []string{"", "* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8", "5-1 * * * *", "*/0 * * * *", "a * * * *"} {
		if _, err := ParseCron(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParseCron(f *testing.F) {
	for _, s := range []string{"30 8 * * *", "*/5 1-3 1,15 */2 0-6", "0 0 29 2 *", "1-59/7 * * * 7"} {
		f.Add(s)
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCron(s)
		if err != nil {
			return
		}
		n := c.Next(from)
		if !n.IsZero() && !n.After(from) {
			t.Fatalf("%q: next %v not after %v", s, n, from)
		}
	})
}

func FuzzParseTemplate(f *testing.F) {
	f.Add([]byte("name: x\ntitle: X\nrhythm: daily\nitems: [{id: a, name: 甲, name_en: A, metric: {query: up, abnormal: '== 0'}}]\n"))
	f.Add([]byte("name: y\ntitle: Y\nrhythm: yearly\nitems: [{id: b, name: 乙, name_en: B, scope: site, manual: {hint: h}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseTemplate("f.yml", data)
	})
}

// TestSchedule runs a template at its cron time on a fake clock.
func TestSchedule(t *testing.T) {
	t.Parallel()
	sh, _ := time.LoadLocation("Asia/Shanghai")
	clk := clockwork.NewFakeClockAt(time.Date(2026, 11, 22, 8, 0, 0, 0, sh))
	recs, err := OpenStore(t.TempDir() + "/i.db")
	if err != nil {
		t.Fatal(err)
	}
	defer recs.Close()
	tm, err := ParseTemplate("s.yml", []byte("name: s\ntitle: S\nrhythm: daily\nitems: [{id: a, name: 甲, name_en: A, scope: site, manual: {}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Inventory{Sites: []inventory.Site{{Name: "central"}}}
	r, err := NewRunner(Options{Inventory: inv, Store: recs, Clock: clk, Location: sh})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Schedule(ctx, []*Template{tm}) }()
	if err := clk.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clk.Advance(29 * time.Minute) // 08:29: not yet
	list, _ := recs.List(ctx, Filter{})
	if len(list) != 0 {
		t.Fatalf("ran early: %+v", list)
	}
	clk.Advance(time.Minute)                              // 08:30
	if err := clk.BlockUntilContext(ctx, 1); err != nil { // waiting for the next day again
		t.Fatal(err)
	}
	list, _ = recs.List(ctx, Filter{})
	if len(list) != 1 || !list[0].PeriodEnd.Equal(time.Date(2026, 11, 22, 8, 30, 0, 0, sh)) || list[0].Trigger != "schedule" {
		t.Fatalf("after 08:30: %+v", list)
	}
	cancel()
	<-done
}

// startSchedule starts the runner's schedule of templates, waits until it has
// caught up and sleeps on the clock, stops it and returns what it returned.
func startSchedule(t *testing.T, r *Runner, clk *clockwork.FakeClock, templates ...*Template) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Schedule(ctx, templates) }()
	if err := clk.BlockUntilContext(ctx, 1); err != nil { // caught up, waiting for the next due time
		t.Fatal(err)
	}
	cancel()
	return <-done
}

// TestScheduleCatchesUp: the collector was down at 08:30 on the 22nd (the
// template last ran on the 20th); started at 10:00 it runs the 08:30 sheet at
// once, for 08:30, and a second start does not run it again. A template that
// never ran is not caught up.
func TestScheduleCatchesUp(t *testing.T) {
	t.Parallel()
	sh, _ := time.LoadLocation("Asia/Shanghai")
	clk := clockwork.NewFakeClockAt(time.Date(2026, 11, 22, 10, 0, 0, 0, sh))
	recs, err := OpenStore(t.TempDir() + "/i.db")
	if err != nil {
		t.Fatal(err)
	}
	defer recs.Close()
	parse := func(name string) *Template {
		tm, err := ParseTemplate(name+".yml", []byte("name: "+name+"\ntitle: S\nrhythm: daily\nitems: [{id: a, name: 甲, name_en: A, scope: site, manual: {}}]\n"))
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	ran, never := parse("ran"), parse("never")
	inv := &inventory.Inventory{Sites: []inventory.Site{{Name: "central"}}}
	r, err := NewRunner(Options{Inventory: inv, Store: recs, Clock: clk, Location: sh})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := r.Run(ctx, ran, RunOptions{At: time.Date(2026, 11, 20, 8, 30, 0, 0, sh), Trigger: "schedule"}); err != nil {
		t.Fatal(err)
	}
	startSchedule(t, r, clk, ran, never)
	startSchedule(t, r, clk, ran, never)
	list, err := recs.List(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range list {
		got = append(got, s.Template+" "+s.PeriodEnd.In(sh).Format("01-02 15:04")+" "+s.Trigger)
	}
	want := []string{"ran 11-22 08:30 catch-up", "ran 11-20 08:30 schedule"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("records:\n got %q\nwant %q", got, want)
	}
}

func TestLastDue(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	daily, err := ParseTemplate("d.yml", []byte("name: d\ntitle: D\nrhythm: daily\nitems: [{id: a, name: 甲, name_en: A, scope: site, manual: {}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		now     time.Time
		want    time.Time
		earlier int
	}{
		{time.Date(2026, 11, 22, 8, 29, 0, 0, sh), time.Date(2026, 11, 21, 8, 30, 0, 0, sh), 0},
		{time.Date(2026, 11, 22, 8, 30, 0, 0, sh), time.Date(2026, 11, 22, 8, 30, 0, 0, sh), 0},
		{time.Date(2026, 11, 22, 23, 0, 0, 0, sh), time.Date(2026, 11, 22, 8, 30, 0, 0, sh), 0},
	} {
		got, earlier := lastDue(daily, tc.now)
		if !got.Equal(tc.want) || earlier != tc.earlier {
			t.Errorf("lastDue(%v) = %v, %d; want %v, %d", tc.now, got, earlier, tc.want, tc.earlier)
		}
	}
}

// TestScheduleNeverCatchesUpBeforeInstall: installed on 15 November (first
// schedule start), a monthly template run by hand that day, the collector
// restarted on the 16th: the 1 November due time predates the install, so
// no sheet is written for it (before the fix: a "catch-up" sheet dated two
// weeks before install with every row unchecked).
func TestScheduleNeverCatchesUpBeforeInstall(t *testing.T) {
	t.Parallel()
	sh, _ := time.LoadLocation("Asia/Shanghai")
	clk := clockwork.NewFakeClockAt(time.Date(2026, 11, 15, 10, 0, 0, 0, sh))
	recs, err := OpenStore(t.TempDir() + "/i.db")
	if err != nil {
		t.Fatal(err)
	}
	defer recs.Close()
	monthly, err := ParseTemplate("monthly.yml", []byte("name: monthly\ntitle: M\nrhythm: monthly\nitems: [{id: a, name: 甲, name_en: A, scope: site, manual: {}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Inventory{Sites: []inventory.Site{{Name: "central"}}}
	r, err := NewRunner(Options{Inventory: inv, Store: recs, Clock: clk, Location: sh})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := startSchedule(t, r, clk, monthly); err != nil && !errors.Is(err, context.Canceled) { // the install: first start on the 15th
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	if _, err := r.Run(ctx, monthly, RunOptions{Trigger: "cli"}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(24 * time.Hour)
	if err := startSchedule(t, r, clk, monthly); err != nil && !errors.Is(err, context.Canceled) { // restart on the 16th
		t.Fatal(err)
	}
	list, err := recs.List(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Trigger != "cli" {
		var got []string
		for _, s := range list {
			got = append(got, s.Template+" "+s.PeriodEnd.In(sh).Format("01-02 15:04")+" "+s.Trigger)
		}
		t.Errorf("records %q, want only the hand run", got)
	}
	first, err := recs.FirstStart(ctx, clk.Now())
	if err != nil || !first.Equal(time.Date(2026, 11, 15, 10, 0, 0, 0, sh)) {
		t.Errorf("first start %v %v, want 11-15 10:00", first, err)
	}
}
