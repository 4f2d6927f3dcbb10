package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite golden files")

var fixedNow = time.Date(2026, 2, 13, 9, 0, 0, 0, time.UTC) // 17:00 in Shanghai

func sampleData() Data {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	return Data{
		TicketID: "T20260213-0007", Title: "UPS-1 市电中断，电池供电", Summary: "情指中心机房 UPS-1 切换到电池供电。",
		Level: "I级 紧急", Category: "机房基础设施", Group: "facilities", Site: "县局情指中心机房", Device: "ups-1",
		Status: "处理中", OpenedAt: time.Date(2026, 2, 13, 17, 0, 0, 0, loc),
		Timer: "提交方案", Deadline: time.Date(2026, 2, 13, 19, 0, 0, 0, loc), Remaining: 24 * time.Minute,
		BreachedBy: 75 * time.Minute, Role: "项目经理", Assignee: "张工",
		ResolvedAt: time.Date(2026, 2, 13, 20, 5, 0, 0, loc), ClosedAt: time.Date(2026, 2, 14, 10, 0, 0, 0, loc),
		Cause: "市电检修", Resolution: "恢复市电，电池充电正常", URL: "http://roomwatch.local/tickets/T20260213-0007",
		Extra:    map[string]string{"reason": "UPS 仍报电池告警，未修好", "rejected_by": "李科长"},
		Location: loc,
	}
}

// sampleDataFor is sampleData with, for the complaint events, a complaint
// about the sample ticket.
func sampleDataFor(ev Event) Data {
	d := sampleData()
	switch ev {
	case EventComplaint, EventComplaintOverdue, EventComplaintReply:
		d.Complaint = &Complaint{ID: "#3", Text: "工程师到场太慢，UPS 告警两小时无人处理", Contact: "李科长 13800000000",
			FiledBy: "县局信通科", FiledAt: time.Date(2026, 2, 13, 18, 0, 0, 0, d.Location),
			DueAt: time.Date(2026, 2, 14, 18, 0, 0, 0, d.Location), Overdue: 30 * time.Minute,
			Reply: "已约谈驻场工程师，今后 20 分钟内到场", RepliedBy: "项目经理王经理",
			RepliedAt: time.Date(2026, 2, 14, 10, 0, 0, 0, d.Location), URL: "http://roomwatch.local/complaints"}
	}
	return d
}

// TestTemplatesGolden renders every shipped template; run with -update to
// rewrite testdata/golden/*.txt after a deliberate wording change.
func TestTemplatesGolden(t *testing.T) {
	t.Parallel()
	ts := DefaultTemplates()
	for _, ev := range Events() {
		m, err := ts.Render(ev, sampleDataFor(ev))
		if err != nil {
			t.Fatalf("%s: %v", ev, err)
		}
		got := "title: " + m.Title + "\n---\n" + m.Body
		path := filepath.Join("testdata", "golden", string(ev)+".txt")
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if got != string(want) {
			t.Errorf("%s:\n got:\n%s\nwant:\n%s", ev, got, want)
		}
	}
}

func TestTemplateOverride(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "new.tmpl"), []byte(`{{define "title"}}NEW {{.TicketID}}{{end}}{{define "body"}}at {{time .OpenedAt}}{{end}}`), 0o644)
	ts, err := LoadTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := ts.Render(EventNew, sampleData())
	if m.Title != "NEW T20260213-0007" || m.Body != "at 2026-02-13 17:00\n" {
		t.Errorf("override = %q / %q", m.Title, m.Body)
	}
	// Events without an override keep the shipped template.
	if m, _ := ts.Render(EventClosed, sampleData()); !strings.HasPrefix(m.Title, "【工单关闭】") {
		t.Errorf("closed = %q", m.Title)
	}
	os.WriteFile(filepath.Join(dir, "closed.tmpl"), []byte(`{{define "title"}}x{{end}}`), 0o644)
	if _, err := LoadTemplates(dir); err == nil || !strings.Contains(err.Error(), `must define "body"`) {
		t.Errorf("missing body: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "closed.tmpl"), []byte(`{{define "title"}}{{.Nope}}{{end}}{{define "body"}}{{end}}`), 0o644)
	ts, err = LoadTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Render(EventClosed, sampleData()); err == nil {
		t.Error("unknown field rendered without error")
	}
}

// recorder collects attempts and sleeps.
type recorder struct {
	mu       sync.Mutex
	attempts []Attempt
	sleeps   []time.Duration
}

func (r *recorder) report(a Attempt) { r.mu.Lock(); r.attempts = append(r.attempts, a); r.mu.Unlock() }
func (r *recorder) sleep(_ context.Context, d time.Duration) error {
	r.mu.Lock()
	r.sleeps = append(r.sleeps, d)
	r.mu.Unlock()
	return nil
}

func newNotifier(t *testing.T, rec *recorder, logs io.Writer, chans ...ChannelConfig) *Notifier {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	n, err := New(Config{Channels: chans, Retry: RetryConfig{Attempts: 3}}, Options{
		Clock: clockwork.NewFakeClockAt(fixedNow), Sleep: rec.sleep,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// robot is an httptest server standing in for WeCom or DingTalk. check
// validates a request; answers are served in order (the last repeats).
type robot struct {
	srv     *httptest.Server
	mu      sync.Mutex
	bodies  []map[string]any
	answers []func(w http.ResponseWriter)
	errs    []string
}

func newRobot(t *testing.T, check func(r *http.Request) string, answers ...func(w http.ResponseWriter)) *robot {
	rb := &robot{answers: answers}
	rb.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rb.mu.Lock()
		defer rb.mu.Unlock()
		if r.Method != http.MethodPost {
			rb.errs = append(rb.errs, "method "+r.Method)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			rb.errs = append(rb.errs, "content-type "+ct)
		}
		if msg := check(r); msg != "" {
			rb.errs = append(rb.errs, msg)
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			rb.errs = append(rb.errs, "body: "+err.Error())
		}
		rb.bodies = append(rb.bodies, body)
		i := min(len(rb.bodies)-1, len(rb.answers)-1)
		rb.answers[i](w)
	}))
	t.Cleanup(rb.srv.Close)
	return rb
}

func (rb *robot) verify(t *testing.T) {
	t.Helper()
	rb.mu.Lock()
	defer rb.mu.Unlock()
	for _, e := range rb.errs {
		t.Error("robot saw:", e)
	}
}

func answer(status int, body string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

const wecomKey = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"

func TestWeCom(t *testing.T) {
	t.Parallel()
	rb := newRobot(t, func(r *http.Request) string {
		if r.URL.Path != "/cgi-bin/webhook/send" || r.URL.Query().Get("key") != wecomKey || len(r.URL.Query()) != 1 {
			return "url " + r.URL.String()
		}
		return ""
	}, answer(200, `{"errcode":0,"errmsg":"ok"}`))
	rec := &recorder{}
	n := newNotifier(t, rec, nil, ChannelConfig{Name: "wx", Type: "wecom", URL: rb.srv.URL + "/", Key: wecomKey, Mobiles: []string{"13800000000"}})
	if err := n.Notify(context.Background(), EventBreach, sampleData(), nil, rec.report); err != nil {
		t.Fatal(err)
	}
	rb.verify(t)
	m, _ := DefaultTemplates().Render(EventBreach, sampleData())
	want := map[string]any{"msgtype": "markdown", "markdown": map[string]any{"content": m.Body + "<@13800000000>"}}
	if !reflect.DeepEqual(rb.bodies[0], want) {
		t.Errorf("body = %#v\nwant %#v", rb.bodies[0], want)
	}
	if len(rec.attempts) != 1 || !rec.attempts[0].OK || !rec.attempts[0].Final || rec.attempts[0].Start != fixedNow {
		t.Errorf("attempts = %+v", rec.attempts)
	}
}

func TestWeComTextAndErrcodeRetried(t *testing.T) {
	t.Parallel()
	rb := newRobot(t, func(r *http.Request) string { return "" },
		answer(200, `{"errcode":45009,"errmsg":"api freq out of limit"}`),
		answer(200, `{"errcode":0,"errmsg":"ok"}`))
	rec := &recorder{}
	var logs bytes.Buffer
	n := newNotifier(t, rec, &logs, ChannelConfig{Name: "wx", Type: "wecom", URL: rb.srv.URL, Key: wecomKey, MsgType: "text", Mobiles: []string{"13800000000"}})
	if err := n.Notify(context.Background(), EventNew, sampleData(), []string{"wx"}, rec.report); err != nil {
		t.Fatal(err)
	}
	rb.verify(t)
	m, _ := DefaultTemplates().Render(EventNew, sampleData())
	want := map[string]any{"msgtype": "text", "text": map[string]any{"content": m.Title + "\n" + m.Body, "mentioned_mobile_list": []any{"13800000000"}}}
	if !reflect.DeepEqual(rb.bodies[1], want) {
		t.Errorf("body = %#v\nwant %#v", rb.bodies[1], want)
	}
	if len(rec.attempts) != 2 || rec.attempts[0].OK || rec.attempts[0].Error != "errcode 45009: api freq out of limit" || !rec.attempts[1].OK {
		t.Errorf("attempts = %+v", rec.attempts)
	}
	if !reflect.DeepEqual(rec.sleeps, []time.Duration{5 * time.Second}) {
		t.Errorf("sleeps = %v", rec.sleeps)
	}
	if !strings.Contains(logs.String(), "errcode 45009") {
		t.Errorf("failed attempt not logged: %s", logs.String())
	}
}

const (
	dingToken  = "c7a9f1e2d3b4a5968778695a4b3c2d1e0f"
	dingSecret = "SECb1f4e6a8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4c6d8e0f2a4b6c8d0e2f4"
)

func TestDingTalk(t *testing.T) {
	t.Parallel()
	rb := newRobot(t, func(r *http.Request) string {
		q := r.URL.Query()
		ts := q.Get("timestamp")
		if r.URL.Path != "/robot/send" || q.Get("access_token") != dingToken || ts != strconv.FormatInt(fixedNow.UnixMilli(), 10) {
			return "url " + r.URL.String()
		}
		// Recompute the signature independently: base64(HMAC-SHA256(secret,
		// timestamp+"\n"+secret)), compared after URL decoding.
		mac := hmac.New(sha256.New, []byte(dingSecret))
		mac.Write([]byte(ts + "\n" + dingSecret))
		if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); q.Get("sign") != want {
			return "sign " + q.Get("sign") + " want " + want
		}
		return ""
	}, answer(500, "busy"), answer(200, `{"errcode":0,"errmsg":"ok"}`))
	rec := &recorder{}
	n := newNotifier(t, rec, nil, ChannelConfig{Name: "dd", Type: "dingtalk", URL: rb.srv.URL, AccessToken: dingToken, Secret: dingSecret})
	if err := n.Notify(context.Background(), EventWarning, sampleData(), []string{"dd"}, rec.report); err != nil {
		t.Fatal(err)
	}
	rb.verify(t)
	m, _ := DefaultTemplates().Render(EventWarning, sampleData())
	want := map[string]any{"msgtype": "markdown", "markdown": map[string]any{"title": m.Title, "text": m.Body},
		"at": map[string]any{"atMobiles": []any{}, "isAtAll": false}}
	if len(rb.bodies) != 2 || !reflect.DeepEqual(rb.bodies[1], want) {
		t.Errorf("bodies = %#v\nwant %#v", rb.bodies, want)
	}
	if len(rec.attempts) != 2 || rec.attempts[0].Error != "HTTP 500: busy" || rec.attempts[0].Final || !rec.attempts[1].OK {
		t.Errorf("attempts = %+v", rec.attempts)
	}
	// The sign value (derived from the secret) must be URL-escaped exactly once.
	if s := DingTalkSign("s", 1); strings.ContainsAny(s, "+/=") {
		t.Errorf("sign not escaped: %s", s)
	}
}

func TestWebhookAndPermanentFailure(t *testing.T) {
	t.Parallel()
	var got WebhookPayload
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		if r.URL.Path == "/bad" {
			http.Error(w, "no such hook", http.StatusNotFound)
			return
		}
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			http.Error(w, err.Error(), 400)
		}
	}))
	defer srv.Close()
	rec := &recorder{}
	n := newNotifier(t, rec, nil,
		ChannelConfig{Name: "hook", Type: "webhook", URL: srv.URL + "/hook", Headers: map[string]string{"Authorization": "Bearer x"}},
		ChannelConfig{Name: "bad", Type: "webhook", URL: srv.URL + "/bad?token=" + wecomKey})
	if err := n.Notify(context.Background(), EventRecovered, sampleData(), []string{"hook"}, rec.report); err != nil {
		t.Fatal(err)
	}
	if got.Version != "1" || got.Event != EventRecovered || !strings.HasPrefix(got.Title, "【已恢复】") || got.Data == nil || got.Data.TicketID != "T20260213-0007" || auth != "Bearer x" {
		t.Errorf("payload = %+v auth %q", got, auth)
	}
	err := n.Notify(context.Background(), EventRecovered, sampleData(), []string{"bad"}, rec.report)
	// 404 is permanent: one attempt only, and the token in the URL is not shown.
	if err == nil || !IsPermanent(errors.Unwrap(err)) && !strings.Contains(err.Error(), "HTTP 404") {
		t.Fatalf("err = %v", err)
	}
	if len(rec.attempts) != 2 || rec.attempts[1].OK || !rec.attempts[1].Final || len(rec.sleeps) != 0 {
		t.Errorf("attempts = %+v sleeps %v", rec.attempts, rec.sleeps)
	}
}

// TestConnectionRefusedRetriedAndSecretsHidden: every attempt fails, each is
// reported, backoff doubles, and neither the robot key nor the DingTalk token
// and secret appear in errors, attempts or logs.
func TestConnectionRefusedRetriedAndSecretsHidden(t *testing.T) {
	t.Parallel()
	addr := "127.0.0.1:" + strconv.Itoa(testutil.FreePort(t)) // nothing listens
	rec := &recorder{}
	var logs bytes.Buffer
	n := newNotifier(t, rec, &logs,
		ChannelConfig{Name: "wx", Type: "wecom", URL: "http://" + addr, Key: wecomKey},
		ChannelConfig{Name: "dd", Type: "dingtalk", URL: "http://" + addr, AccessToken: dingToken, Secret: dingSecret},
		ChannelConfig{Name: "mail", Type: "email", Server: addr, From: "rw@example.org", To: []string{"a@example.org"}, Username: "u", Password: "pa55-secret-word"})
	err := n.Notify(context.Background(), EventNew, sampleData(), nil, rec.report)
	if err == nil {
		t.Fatal("no error")
	}
	if len(rec.attempts) != 9 {
		t.Fatalf("attempts = %d, want 3 per channel", len(rec.attempts))
	}
	for i, a := range rec.attempts {
		if a.OK || a.Number != i%3+1 || a.Final != (a.Number == 3) || !strings.Contains(a.Error, "refused") {
			t.Errorf("attempt %d = %+v", i, a)
		}
	}
	if want := []time.Duration{5 * time.Second, 10 * time.Second, 5 * time.Second, 10 * time.Second, 5 * time.Second, 10 * time.Second}; !reflect.DeepEqual(rec.sleeps, want) {
		t.Errorf("sleeps = %v", rec.sleeps)
	}
	all := err.Error() + logs.String()
	for _, a := range rec.attempts {
		all += a.Error
	}
	for _, s := range []string{wecomKey, dingToken, dingSecret, "pa55-secret-word"} {
		if strings.Contains(all, s) {
			t.Errorf("secret %q leaked in: %s", s, all)
		}
	}
	if regexp.MustCompile(`sign=[^<]`).MatchString(all) {
		t.Errorf("DingTalk sign leaked in: %s", all)
	}
	if !strings.Contains(all, "<secret>") {
		t.Errorf("expected redaction marker in %s", all)
	}
}

func TestBackoffCappedAndContextStops(t *testing.T) {
	t.Parallel()
	r := RetryConfig{Attempts: 10, Backoff: 5_000_000_000, MaxBackoff: 30_000_000_000}
	var got []time.Duration
	for i := 1; i <= 5; i++ {
		got = append(got, r.Delay(i))
	}
	if want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 30 * time.Second, 30 * time.Second}; !reflect.DeepEqual(got, want) {
		t.Errorf("delays = %v", got)
	}
	// With the default sleeper on a fake clock, cancelling the context ends the
	// wait without advancing time.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer srv.Close()
	clk := clockwork.NewFakeClockAt(fixedNow)
	n, err := New(Config{Channels: []ChannelConfig{{Name: "h", Type: "webhook", URL: srv.URL}}}, Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	var attempts []Attempt
	go func() {
		done <- n.Notify(ctx, EventNew, sampleData(), nil, func(a Attempt) { attempts = append(attempts, a) })
	}()
	if err := clk.BlockUntilContext(ctx, 1); err != nil { // the first backoff wait
		t.Fatal(err)
	}
	clk.Advance(5 * time.Second) // second attempt
	if err := clk.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	err = <-done
	if !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("err = %v", err)
	}
	if len(attempts) != 2 || attempts[1].Start != fixedNow.Add(5*time.Second) {
		t.Errorf("attempts = %+v", attempts)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		c    ChannelConfig
		want string
	}{
		{ChannelConfig{Name: "a", Type: "pager"}, `type "pager"`},
		{ChannelConfig{Name: "a", Type: "sms"}, "url and phones are required"},
		{ChannelConfig{Name: "a", Type: "wecom"}, "key is required"},
		{ChannelConfig{Name: "a", Type: "dingtalk"}, "access_token is required"},
		{ChannelConfig{Name: "a", Type: "email", Server: "x:25"}, "server, from and to are required"},
		{ChannelConfig{Name: "a", Type: "webhook", URL: "http://x", MsgType: "card"}, `msgtype "card"`},
		{ChannelConfig{Type: "webhook", URL: "http://x"}, "name is required"},
	}
	for _, tc := range tests {
		c := Config{Channels: []ChannelConfig{tc.c}}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.c, err, tc.want)
		}
	}
	c := Config{Channels: []ChannelConfig{{Name: "a", Type: "webhook", URL: "http://x"}, {Name: "a", Type: "webhook", URL: "http://y"}}}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "defined twice") {
		t.Errorf("duplicate: %v", err)
	}
}

func TestFormatDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		45 * time.Second: "45秒", 90 * time.Minute: "1小时30分钟", 26 * time.Hour: "1天2小时", 0: "0秒", 2 * time.Hour: "2小时",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %s, want %s", d, got, want)
		}
	}
}
