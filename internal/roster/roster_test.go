package roster

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/crypto/bcrypt"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/config"
	"github.com/roomwatch/roomwatch/internal/notify"
	"github.com/roomwatch/roomwatch/internal/testutil"
)

// sample is a county's rota: zhangsan on weekdays, lisi at weekends,
// wangwu on statutory days off, the project manager on weekdays only.
const sample = `roster:
  handover: "08:30"
  weekly:
    daily: {engineer: [zhangsan]}
    saturday: {engineer: [lisi]}
    sunday: {engineer: [lisi]}
    monday: {engineer: [zhangsan], project_manager: [wangpm]}
    tuesday: {engineer: [zhangsan], project_manager: [wangpm]}
  holidays:
    engineer: [wangwu]
  overrides:
    - {from: 2026-12-09, role: engineer, users: [lisi], reason: 换班}
    - {from: 2026-12-20, to: 2026-12-22, role: engineer, users: [zhangsan, lisi], reason: 重大活动保障}
`

type file struct {
	Roster Config `yaml:"roster"`
}

// Validate validates the section, as the collector's Config.Validate does.
func (f *file) Validate() error { return f.Roster.Validate() }

func loadSample(t *testing.T, text string) Config {
	t.Helper()
	var f file
	if err := config.Decode("collector.yml", []byte(text), &f); err != nil {
		t.Fatal(err)
	}
	return f.Roster
}

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

func holidays(t *testing.T) *calendar.Holidays {
	t.Helper()
	root, err := testutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	h, err := calendar.LoadHolidays(filepath.Join(root, "rules", "calendars", "cn-holidays.yml"))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

func newRoster(t *testing.T, cfg Config, st *Store, acc Accounts, clk clockwork.Clock) *Roster {
	t.Helper()
	r, err := New(context.Background(), Options{Config: cfg, Location: shanghai, Holidays: holidays(t), Store: st, Accounts: acc, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestOnDuty(t *testing.T) {
	t.Parallel()
	r := newRoster(t, loadSample(t, sample), nil, nil, clockwork.NewFakeClockAt(at("2026-12-07 09:00")))
	tests := []struct {
		name  string
		at    string
		role  Role
		shift string
		want  []string
	}{
		{"Monday after the handover", "2026-12-07 08:30", Engineer, "2026-12-07", []string{"zhangsan"}},
		{"Monday the minute before the handover is Sunday's shift", "2026-12-07 08:29", Engineer, "2026-12-06", []string{"lisi"}},
		{"Sunday night", "2026-12-06 23:59", Engineer, "2026-12-06", []string{"lisi"}},
		{"Tuesday 03:00 is Monday's night", "2026-12-08 03:00", ProjectManager, "2026-12-07", []string{"wangpm"}},
		{"Thursday: daily rota", "2026-12-10 12:00", Engineer, "2026-12-10", []string{"zhangsan"}},
		{"Thursday: no project manager", "2026-12-10 12:00", ProjectManager, "2026-12-10", nil},
		{"Wednesday: a swap (config override)", "2026-12-09 20:00", Engineer, "2026-12-09", []string{"lisi"}},
		{"a swap ends with its shift", "2026-12-10 08:30", Engineer, "2026-12-10", []string{"zhangsan"}},
		{"major event: two engineers", "2026-12-21 02:00", Engineer, "2026-12-20", []string{"zhangsan", "lisi"}},
		{"major event, last day", "2026-12-23 08:00", Engineer, "2026-12-22", []string{"zhangsan", "lisi"}},
		{"National Day (day off): holiday rota", "2026-10-01 10:00", Engineer, "2026-10-01", []string{"wangwu"}},
		{"National Day, Monday (day off): holiday rota wins over Monday", "2026-10-05 10:00", Engineer, "2026-10-05", []string{"wangwu"}},
		{"holiday rota leaves the project manager to the weekly rota", "2026-10-05 10:00", ProjectManager, "2026-10-05", []string{"wangpm"}},
		{"make-up working Saturday: Saturday's rota", "2026-10-10 10:00", Engineer, "2026-10-10", []string{"lisi"}},
		{"UTC input, Shanghai shift", "2026-12-07 00:29", Engineer, "2026-12-06", []string{"lisi"}},
		{"duty operator: nobody", "2026-12-07 10:00", DutyOperator, "2026-12-07", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			when := at(tc.at)
			if strings.HasPrefix(tc.name, "UTC") {
				when = time.Date(2026, 12, 7, 0, 29, 0, 0, time.UTC) // 08:29 in Shanghai
			}
			if got := r.ShiftDate(when).String(); got != tc.shift {
				t.Errorf("shift of %s = %s, want %s", tc.at, got, tc.shift)
			}
			if got := r.OnDuty(when, tc.role); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("OnDuty(%s, %s) = %v, want %v", tc.at, tc.role, got, tc.want)
			}
		})
	}
	s := r.Shift(calendar.Date{Year: 2026, Month: 10, Day: 1})
	if s.Holiday != "国庆节" || !s.Start.Equal(at("2026-10-01 08:30")) || !s.End.Equal(at("2026-10-02 08:30")) {
		t.Errorf("shift = %+v", s)
	}
	if d, _ := s.Of(Engineer); d.Source != FromHoliday {
		t.Errorf("source %s, want holiday", d.Source)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml, want string
	}{
		{"bad handover", "roster:\n  handover: 8h30\n", "collector.yml:2: roster.handover \"8h30\": use HH:MM"},
		{"not a day", "roster:\n  weekly:\n    monday: {engineer: [a]}\n    montag: {engineer: [a]}\n", "collector.yml:4: roster.weekly.montag: not a day"},
		{"unknown role", "roster:\n  weekly:\n    daily:\n      engineer: [a]\n      director: [b]\n", `collector.yml:5: roster.weekly.daily: role "director"`},
		{"name twice", "roster:\n  holidays:\n    engineer: [a, A]\n", `collector.yml:3: roster.holidays.engineer: account "A" listed twice`},
		{"to before from", "roster:\n  overrides:\n    - {from: 2026-12-09, role: engineer, users: [a]}\n    - {from: 2026-12-09, to: 2026-12-01, role: engineer, users: [a]}\n",
			"collector.yml:4: roster.overrides[1]: to 2026-12-01 is before from 2026-12-09"},
		{"no users", "roster:\n  overrides:\n    - {from: 2026-12-09, role: engineer}\n", "collector.yml:3: roster.overrides[0]: users"},
		{"bad date", "roster:\n  overrides:\n    - {from: 2026-13-09, role: engineer, users: [a]}\n", "collector.yml:3"},
		{"unknown key", "roster:\n  handover: \"08:00\"\n  rota: {}\n", "collector.yml:3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var f file
			err := config.Decode("collector.yml", []byte(tc.yaml), &f)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	c := loadSample(t, "roster: {}\n")
	if c.Handover != "08:30" || c.HandoverOffset() != 8*time.Hour+30*time.Minute || c.Enabled() {
		t.Errorf("defaults: %+v", c)
	}
}

func openAccounts(t *testing.T, clk clockwork.Clock) *accounts.Store {
	t.Helper()
	st, err := accounts.Open(context.Background(), accounts.Options{Path: filepath.Join(t.TempDir(), "accounts.db"), Clock: clk, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, u := range []accounts.NewUser{
		{Name: "zhangsan", DisplayName: "张三", Phone: "13900000009", Email: "zs@ops.example.org", WeComID: "ZhangSan", DingTalkID: "ding-zs", Role: auth.RoleEngineer},
		{Name: "lisi", DisplayName: "李四", Phone: "13900000010", Role: auth.RoleEngineer},
		{Name: "wangpm", DisplayName: "王经理", Email: "pm@ops.example.org", Role: auth.RoleManager},
	} {
		u.Password = "Initial-Passw0rd!"
		if _, err := st.Add(context.Background(), u, "test"); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func openStore(t *testing.T) *Store {
	t.Helper()
	st, err := OpenStore(context.Background(), filepath.Join(t.TempDir(), FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestRecipientsAndProblems(t *testing.T) {
	t.Parallel()
	clk := clockwork.NewFakeClockAt(at("2026-12-07 09:00"))
	acc := openAccounts(t, clk)
	if err := acc.SetDisabled(context.Background(), "lisi", true, "test"); err != nil {
		t.Fatal(err)
	}
	r := newRoster(t, loadSample(t, sample), nil, acc, clk)
	tests := []struct {
		at   string
		role string
		want []notify.Recipient
	}{
		{"2026-12-07 09:00", "engineer", []notify.Recipient{{User: "zhangsan", Name: "张三", Phone: "13900000009", Email: "zs@ops.example.org", WeComID: "ZhangSan", DingTalkID: "ding-zs"}}},
		{"2026-12-07 09:00", "project_manager", []notify.Recipient{{User: "wangpm", Name: "王经理", Email: "pm@ops.example.org"}}},
		{"2026-12-09 09:00", "engineer", nil},           // lisi is disabled
		{"2026-10-01 09:00", "engineer", nil},           // wangwu has no account
		{"2026-12-07 09:00", "technical_director", nil}, // not a roster role
		{"2026-12-20 09:00", "engineer", []notify.Recipient{{User: "zhangsan", Name: "张三", Phone: "13900000009", Email: "zs@ops.example.org", WeComID: "ZhangSan", DingTalkID: "ding-zs"}}},
	}
	for _, tc := range tests {
		got, err := r.Recipients(context.Background(), at(tc.at), tc.role)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Recipients(%s, %s) = %+v, want %+v", tc.at, tc.role, got, tc.want)
		}
	}
	probs, err := r.Problems(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []Problem{
		{Where: "roster.weekly.saturday.engineer (line 5)", User: "lisi", Disabled: true},
		{Where: "roster.weekly.sunday.engineer (line 6)", User: "lisi", Disabled: true},
		{Where: "roster.holidays.engineer (line 10)", User: "wangwu"},
		{Where: "roster.overrides[0] (line 12)", User: "lisi", Disabled: true},
		{Where: "roster.overrides[1] (line 13)", User: "lisi", Disabled: true},
	}
	if !reflect.DeepEqual(probs, want) {
		t.Errorf("problems\n got %+v\nwant %+v", probs, want)
	}
}

func TestStoredOverrides(t *testing.T) {
	t.Parallel()
	clk := clockwork.NewFakeClockAt(at("2026-12-07 09:00"))
	st := openStore(t)
	r := newRoster(t, loadSample(t, sample), st, nil, clk)
	ctx := context.Background()
	// A stored override beats the config's swap on the 9th.
	o, err := r.AddOverride(ctx, Override{From: calendar.Date{Year: 2026, Month: 12, Day: 8}, To: calendar.Date{Year: 2026, Month: 12, Day: 9},
		Role: Engineer, Users: []string{"zhaoliu"}, Reason: "病假顶班"}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	if _, err := r.AddOverride(ctx, Override{From: calendar.Date{Year: 2026, Month: 12, Day: 9}, Role: "director", Users: []string{"x"}}, "admin"); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad role: %v", err)
	}
	steps := []struct {
		at   string
		want []string
	}{{"2026-12-08 12:00", []string{"zhaoliu"}}, {"2026-12-09 12:00", []string{"zhaoliu"}}, {"2026-12-10 08:00", []string{"zhaoliu"}}, {"2026-12-10 09:00", []string{"zhangsan"}}}
	for _, s := range steps {
		if got := r.OnDuty(at(s.at), Engineer); !reflect.DeepEqual(got, s.want) {
			t.Errorf("with override: OnDuty(%s) = %v, want %v", s.at, got, s.want)
		}
	}
	// A second roster on the same store (a restart) sees it too.
	r2 := newRoster(t, loadSample(t, sample), st, nil, clk)
	if got := r2.OnDuty(at("2026-12-08 12:00"), Engineer); !reflect.DeepEqual(got, []string{"zhaoliu"}) {
		t.Errorf("after restart: %v", got)
	}
	if err := r.RemoveOverride(ctx, o.ID, "manager1"); err != nil {
		t.Fatal(err)
	}
	if err := r.RemoveOverride(ctx, o.ID, "manager1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second remove: %v", err)
	}
	if got := r.OnDuty(at("2026-12-09 12:00"), Engineer); !reflect.DeepEqual(got, []string{"lisi"}) {
		t.Errorf("after removal: %v (want the config's swap)", got)
	}
	audit, err := st.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantDetail := `{"from":"2026-12-08","to":"2026-12-09","role":"engineer","users":["zhaoliu"],"reason":"病假顶班"}`
	if len(audit) != 2 || audit[0].Action != "override.add" || audit[0].Actor != "admin" || !audit[0].At.Equal(at("2026-12-07 09:00")) ||
		audit[1].Action != "override.remove" || audit[1].Actor != "manager1" || !audit[1].At.Equal(at("2026-12-07 10:00")) ||
		audit[0].Detail != wantDetail || audit[1].Detail != wantDetail || audit[1].OverrideID != o.ID {
		t.Errorf("audit = %+v", audit)
	}
	if _, err := st.db.Exec(`DELETE FROM audit`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("deleting the audit: %v", err)
	}
	if _, err := st.db.Exec(`UPDATE audit SET actor = 'x'`); err == nil {
		t.Error("updating the audit succeeded")
	}
	lines, err := st.SearchAudit(ctx, "MANAGER1 remove", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || lines[0].Kind != "roster.override.remove" || lines[0].Who != "manager1" || !strings.Contains(lines[0].Text, `"users":["zhaoliu"]`) {
		t.Errorf("audit search: %+v", lines)
	}
	if all, _ := st.SearchAudit(ctx, "roster", 10); len(all) != 2 || all[0].Kind != "roster.override.remove" {
		t.Errorf("audit search newest first: %+v", all)
	}
	noStore := newRoster(t, loadSample(t, sample), nil, nil, clk)
	if _, err := noStore.AddOverride(ctx, o, "admin"); !errors.Is(err, ErrNoStore) {
		t.Errorf("without a store: %v", err)
	}
}
