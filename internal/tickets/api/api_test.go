package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/alert"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/testutil"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/api"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

const (
	viewerTok   = "viewer-secret-token"
	engineerTok = "engineer-secret-token"
	managerTok  = "manager-secret-token"
	intakeTok   = "intake-secret-token"
	custATok    = "customer-a-secret-token"
	custBTok    = "customer-b-secret-token"
)

// mustHash is auth.HashToken for a test (bcrypt, so about 50–100 ms).
func mustHash(t testing.TB, tok string) string {
	t.Helper()
	h, err := auth.HashToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type server struct {
	*ticketstest.Env
	URL string
}

// start serves the API on a loopback listener. realClock uses the wall clock
// (for real peers, whose alerts carry real times).
func start(t *testing.T, realClock, openLoopback bool) *server {
	t.Helper()
	return startTB(t, realClock, openLoopback)
}

func startTB(t testing.TB, realClock, openLoopback bool) *server {
	t.Helper()
	env := ticketstest.New(t, func(o *tickets.Options) {
		if realClock {
			o.Clock = clockwork.NewRealClock()
		}
	})
	a, err := auth.New(auth.Config{
		Tokens: []auth.Token{{Name: "viewer", Token: viewerTok, Role: auth.RoleViewer},
			{Name: "zhang", Hash: mustHash(t, engineerTok), Role: auth.RoleEngineer},
			{Name: "boss", Token: managerTok, Role: auth.RoleManager},
			{Name: "甲方A", Token: custATok, Role: auth.RoleCustomer}, {Name: "甲方B", Token: custBTok, Role: auth.RoleCustomer}},
		Intake: auth.Intake{Tokens: []auth.Token{{Name: "am", Token: intakeTok}}, OpenOnLoopback: openLoopback},
	})
	if err != nil {
		t.Fatal(err)
	}
	var clk clockwork.Clock = env.Clock
	if realClock {
		clk = clockwork.NewRealClock()
	}
	h, err := api.NewHandler(api.Options{Service: env.Service, Auth: a, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &server{Env: env, URL: srv.URL}
}

func (s *server) do(t *testing.T, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: %d, body not a JSON object: %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode, m
}

func (s *server) count(t *testing.T) int {
	t.Helper()
	ts, err := s.Service.List(context.Background(), tickets.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(ts)
}

func webhook(status, device string, starts time.Time) string {
	ends := "0001-01-01T00:00:00Z"
	if status == "resolved" {
		ends = starts.Add(time.Minute).Format(time.RFC3339)
	}
	return fmt.Sprintf(`{"version":"4","groupKey":"{}:{alertname=\"DeviceDown\"}","status":%q,"receiver":"roomwatch",
"groupLabels":{"alertname":"DeviceDown"},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am","truncatedAlerts":0,
"alerts":[{"status":%q,"labels":{"alertname":"DeviceDown","device":%q,"severity":"critical"},"annotations":{"summary":"设备离线"},
"startsAt":%q,"endsAt":%q,"generatorURL":"","fingerprint":"x"}]}`, status, status, device, starts.Format(time.RFC3339), ends)
}

func TestAPIFlow(t *testing.T) {
	t.Parallel()
	s := start(t, false, false)
	t0 := ticketstest.Start.Add(-time.Minute)
	if code, m := s.do(t, "POST", "/api/v1/alertmanager/webhook", intakeTok, webhook("firing", "core1", t0)); code != 200 {
		t.Fatalf("webhook: %d %v", code, m)
	}
	code, m := s.do(t, "GET", "/api/v1/tickets?state=open&level=I", viewerTok, "")
	list, _ := m["tickets"].([]any)
	if code != 200 || len(list) != 1 {
		t.Fatalf("list: %d %v", code, m)
	}
	tk := list[0].(map[string]any)
	id := int(tk["id"].(float64))
	if tk["level"] != "I" || tk["level_zh"] != "紧急" || tk["device"] != "core1" || tk["title"] != "设备离线" {
		t.Errorf("ticket %v", tk)
	}
	p := fmt.Sprintf("/api/v1/tickets/%d", id)
	steps := []struct {
		method, path, token, body string
		want                      int
		errPart                   string
	}{
		{"GET", p, "", "", 401, "authentication required"},
		{"GET", p, "wrong", "", 401, "invalid token"},
		{"POST", p + "/ack", viewerTok, "", 403, "needs engineer"},
		{"POST", p + "/ack", engineerTok, `{"note":"收到"}`, 200, ""},
		{"POST", p + "/ack", engineerTok, "", 409, "cannot ack"},
		{"POST", p + "/dispatch", engineerTok, `{"assignee":"李工"}`, 200, ""},
		{"POST", p + "/onsite", engineerTok, `{}`, 200, ""},
		{"POST", p + "/resolve", engineerTok, `{"cause":"掉电"}`, 400, "cause"},
		{"POST", p + "/resolve", engineerTok, `{"cause":"掉电","fixx":"x"}`, 400, "unknown field"},
		{"POST", p + "/part", engineerTok, `{"part":{"part":"电源","serial":"S1","location":"A01","cause":"老化"}}`, 200, ""},
		{"POST", p + "/resolve", engineerTok, `{"cause":"掉电","fix":"更换电源"}`, 200, ""},
		{"POST", p + "/cancel", engineerTok, ``, 403, "needs manager"},
		{"POST", p + "/close", engineerTok, ``, 200, ""},
		{"POST", p + "/fly", engineerTok, ``, 404, "unknown action"},
		{"GET", "/api/v1/tickets/999", viewerTok, "", 404, "not found"},
		{"GET", "/api/v1/tickets/abc", viewerTok, "", 400, "positive number"},
		{"GET", "/api/v1/tickets?level=V", viewerTok, "", 400, "fault level"},
		{"GET", "/api/v1/tickets?from=yesterday", viewerTok, "", 400, "from"},
		{"POST", "/api/v1/tickets", engineerTok, `{"title":"打印机卡纸","level":"IV","channel":"phone","reporter":"王"}`, 201, ""},
		{"POST", "/api/v1/tickets", engineerTok, `{"title":"x","level":"V"}`, 400, "level"},
		{"POST", p + "/reopen", managerTok, `{"note":"复发"}`, 200, ""},
	}
	for _, st := range steps {
		code, m := s.do(t, st.method, st.path, st.token, st.body)
		if code != st.want {
			t.Fatalf("%s %s %s: %d %v, want %d", st.method, st.path, st.body, code, m, st.want)
		}
		if st.errPart != "" && !strings.Contains(fmt.Sprint(m["error"]), st.errPart) {
			t.Errorf("%s %s: error %q lacks %q", st.method, st.path, m["error"], st.errPart)
		}
	}
	_, m = s.do(t, "GET", p, viewerTok, "")
	timers, _ := m["timers"].([]any)
	events, _ := m["events"].([]any)
	if len(timers) < 4 || len(events) != 8 || m["state"] != "reopened" {
		t.Fatalf("timers %d events %d state %v: %v", len(timers), len(events), m["state"], m)
	}
	first := timers[0].(map[string]any)
	for _, k := range []string{"name", "deadline", "met_at", "met", "breached"} {
		if _, ok := first[k]; !ok {
			t.Errorf("timer lacks %s: %v", k, first)
		}
	}
	if !strings.HasSuffix(first["deadline"].(string), "+08:00") {
		t.Errorf("deadline %v not in Asia/Shanghai", first["deadline"])
	}
}

// manyLabels is a v2 alert body with n labels beside alertname.
func manyLabels(n int) string {
	var b strings.Builder
	b.WriteString(`[{"labels":{"alertname":"A"`)
	for i := range n {
		fmt.Fprintf(&b, `,"l%d":"v"`, i)
	}
	b.WriteString(`}}]`)
	return b.String()
}

func TestIntakeBadInput(t *testing.T) {
	t.Parallel()
	s := start(t, false, true)
	t0 := ticketstest.Start.Add(-time.Minute)
	tests := []struct {
		name, path, body, errPart string
	}{
		{"not json", "/api/v1/alertmanager/webhook", `{"version":`, "invalid JSON"},
		{"version 3", "/api/v1/alertmanager/webhook", strings.Replace(webhook("firing", "a", t0), `"version":"4"`, `"version":"3"`, 1), "version"},
		{"no alertname", "/api/v1/alertmanager/webhook", strings.Replace(webhook("firing", "a", t0), `"alertname":"DeviceDown",`, "", 1), "alertname"},
		{"bad status", "/api/v1/alertmanager/webhook", strings.Replace(webhook("firing", "a", t0), `"status":"firing","labels"`, `"status":"burning","labels"`, 1), "status"},
		{"bad label", "/api/v1/alertmanager/webhook", strings.Replace(webhook("firing", "a", t0), `"severity"`, `"1bad"`, 1), "label name"},
		{"trailing", "/api/v1/alertmanager/webhook", webhook("firing", "a", t0) + "{}", "after the payload"},
		{"v2 object", "/api/v2/alerts", `{"labels":{}}`, "invalid JSON"},
		{"v2 no labels", "/api/v2/alerts", `[{"startsAt":"2025-01-01T00:00:00Z"}]`, "labels"},
		{"v2 ends before starts", "/api/v2/alerts", `[{"labels":{"alertname":"A"},"startsAt":"2025-01-02T00:00:00Z","endsAt":"2025-01-01T00:00:00Z"}]`, "endsAt"},
		{"v2 bad time", "/api/v2/alerts", `[{"labels":{"alertname":"A"},"startsAt":"yesterday"}]`, "invalid JSON"},
		{"v2 100,000 labels", "/api/v2/alerts", manyLabels(100_000), "100001 labels, at most 64"},
		{"v2 long label", "/api/v2/alerts", `[{"labels":{"alertname":"` + strings.Repeat("A", 5000) + `"}}]`, "label alertname has 5000 bytes"},
		{"webhook long annotation", "/api/v1/alertmanager/webhook",
			strings.Replace(webhook("firing", "a", t0), `"annotations":{`, `"annotations":{"big":"`+strings.Repeat("x", 9000)+`",`, 1), "annotation big has 9000 bytes"},
	}
	for _, tc := range tests {
		code, m := s.do(t, "POST", tc.path, "", tc.body)
		if code != 400 || !strings.Contains(fmt.Sprint(m["error"]), tc.errPart) {
			t.Errorf("%s: %d %v, want 400 with %q", tc.name, code, m, tc.errPart)
		}
	}
	if n := s.count(t); n != 0 {
		t.Fatalf("bad input changed the store: %d tickets", n)
	}
	// Open on loopback: no token needed; a wrong token is still refused.
	if code, m := s.do(t, "POST", "/api/v2/alerts", "", `[{"labels":{"alertname":"A","device":"d"}}]`); code != 200 {
		t.Fatalf("loopback v2: %d %v", code, m)
	}
	if code, _ := s.do(t, "POST", "/api/v2/alerts", "nope", `[]`); code != 401 {
		t.Fatalf("wrong token: %d, want 401", code)
	}
}

func TestIntakeClosedWithoutToken(t *testing.T) {
	t.Parallel()
	s := start(t, false, false)
	if code, _ := s.do(t, "POST", "/api/v2/alerts", "", `[]`); code != 401 {
		t.Fatalf("no token, loopback closed: %d, want 401", code)
	}
	if code, _ := s.do(t, "POST", "/api/v2/alerts", intakeTok, `[]`); code != 200 {
		t.Fatalf("intake token: %d, want 200", code)
	}
	for _, ct := range []string{"text/plain;charset=UTF-8", "application/x-www-form-urlencoded", ""} {
		for _, path := range []string{"/api/v2/alerts", "/api/v1/alertmanager/webhook"} {
			req, _ := http.NewRequest("POST", s.URL+path, strings.NewReader(`[{"labels":{"alertname":"A","device":"d"}}]`))
			req.Header.Set("Authorization", "Bearer "+intakeTok)
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnsupportedMediaType {
				t.Errorf("%s with Content-Type %q: %d, want 415", path, ct, resp.StatusCode)
			}
		}
	}
}

func FuzzDecode(f *testing.F) {
	t0 := time.Date(2025, 3, 3, 1, 0, 0, 0, time.UTC)
	f.Add([]byte(webhook("firing", "a", t0)))
	f.Add([]byte(webhook("resolved", "a", t0)))
	f.Add([]byte(`[{"labels":{"alertname":"A"},"startsAt":"2025-01-01T00:00:00Z"}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"version":"4","alerts":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, dec := range []func([]byte, time.Time) ([]alert.Alert, error){api.DecodeWebhook, api.DecodeV2} {
			as, err := dec(b, t0)
			if err != nil {
				continue
			}
			for _, a := range as {
				if a.Labels["alertname"] == "" {
					t.Fatalf("decoded an alert without alertname from %q", b)
				}
			}
		}
	})
}

func TestMain(m *testing.M) {
	if os.Getenv(serverEnv) != "" {
		os.Exit(runServer())
	}
	os.Exit(m.Run())
}

var _ = filepath.Join
var _ = bytes.NewReader
var _ = testutil.FreePort
