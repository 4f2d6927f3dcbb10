package roster

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/auth"
)

const (
	viewerTok  = "viewer-token-0123456789"
	engTok     = "engineer-token-0123456789"
	managerTok = "manager-token-0123456789"
)

func startAPI(t *testing.T) (*httptest.Server, *Roster, *Store) {
	t.Helper()
	clk := clockwork.NewFakeClockAt(at("2026-12-07 07:00")) // before the handover: Sunday's shift
	st := openStore(t)
	r := newRoster(t, loadSample(t, sample), st, openAccounts(t, clk), clk)
	a, err := auth.New(auth.Config{Tokens: []auth.Token{
		{Name: "duty-desk", Token: viewerTok, Role: auth.RoleViewer},
		{Name: "eng1", Token: engTok, Role: auth.RoleEngineer},
		{Name: "pm1", Token: managerTok, Role: auth.RoleManager},
	}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewAPI(APIOptions{Roster: r, Auth: a})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, r, st
}

func call(t *testing.T, srv *httptest.Server, method, path, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAPI(t *testing.T) {
	t.Parallel()
	srv, _, st := startAPI(t)
	post := `{"from":"2026-12-08","to":"2026-12-08","role":"engineer","users":["lisi"],"reason":"换班"}`
	steps := []struct {
		name, method, path, token, body string
		code                            int
		want                            []string // substrings of the answer
	}{
		{"no token", "GET", "/api/v1/roster", "", "", 401, nil},
		{"the week from the current shift", "GET", "/api/v1/roster", viewerTok, "", 200, []string{
			`"handover":"08:30"`, `"timezone":"Asia/Shanghai"`,
			`{"date":"2026-12-06","start":"2026-12-06T08:30:00+08:00","end":"2026-12-07T08:30:00+08:00","current":true,"duty":[{"role":"engineer","people":[{"user":"lisi","name":"李四","known":true}],"source":"weekly"}]}`,
			`"date":"2026-12-12"`, `{"where":"roster.holidays.engineer (line 10)","user":"wangwu"}`}},
		{"a range", "GET", "/api/v1/roster?from=2026-10-01&to=2026-10-01", viewerTok, "", 200, []string{
			`"holiday":"国庆节","duty":[{"role":"engineer","people":[{"user":"wangwu","known":false}],"source":"holiday"}`}},
		{"bad date", "GET", "/api/v1/roster?from=2026-1-1", viewerTok, "", 400, []string{"use YYYY-MM-DD"}},
		{"backwards", "GET", "/api/v1/roster?from=2026-12-09&to=2026-12-01", viewerTok, "", 400, []string{"before"}},
		{"too long", "GET", "/api/v1/roster?from=2026-01-01&to=2026-12-31", viewerTok, "", 400, []string{"at most 92 days"}},
		{"overrides: the config's", "GET", "/api/v1/roster/overrides", viewerTok, "", 200, []string{`"source":"config"`, `"reason":"重大活动保障"`}},
		{"an engineer may not add", "POST", "/api/v1/roster/overrides", engTok, post, 403, []string{"needs manager"}},
		{"a manager adds", "POST", "/api/v1/roster/overrides", managerTok, post, 201, []string{`"id":1`, `"source":"api"`, `"created_by":"pm1"`}},
		{"bad role", "POST", "/api/v1/roster/overrides", managerTok, `{"from":"2026-12-08","role":"boss","users":["a"]}`, 400, []string{`role \"boss\"`}},
		{"unknown field", "POST", "/api/v1/roster/overrides", managerTok, `{"from":"2026-12-08","role":"engineer","users":["a"],"who":1}`, 400, []string{"unknown field"}},
		{"the override shows", "GET", "/api/v1/roster?from=2026-12-08&to=2026-12-08", viewerTok, "", 200, []string{
			`"people":[{"user":"lisi","name":"李四","known":true}],"source":"override","override_id":1,"reason":"换班"`}},
		{"an engineer may not remove", "DELETE", "/api/v1/roster/overrides/1", engTok, "", 403, nil},
		{"a manager removes", "DELETE", "/api/v1/roster/overrides/1", managerTok, "", 204, nil},
		{"gone", "DELETE", "/api/v1/roster/overrides/1", managerTok, "", 404, []string{"no such override"}},
		{"config overrides have no id", "DELETE", "/api/v1/roster/overrides/0", managerTok, "", 400, nil},
		{"back to the rota", "GET", "/api/v1/roster?from=2026-12-08&to=2026-12-08", viewerTok, "", 200, []string{
			`"people":[{"user":"zhangsan","name":"张三","known":true}],"source":"weekly"`}},
	}
	for _, s := range steps {
		code, body := call(t, srv, s.method, s.path, s.token, s.body)
		if code != s.code {
			t.Errorf("%s: %s %s = %d %s, want %d", s.name, s.method, s.path, code, body, s.code)
			continue
		}
		for _, w := range s.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: answer lacks %s:\n%s", s.name, w, body)
			}
		}
		if code == 200 && !json.Valid([]byte(body)) {
			t.Errorf("%s: not JSON: %s", s.name, body)
		}
	}
	audit, err := st.Audit(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	for _, a := range audit {
		got.WriteString(a.Actor + " " + a.Action + ";")
	}
	if got.String() != "pm1 override.add;pm1 override.remove;" {
		t.Errorf("audit: %s", got.String())
	}
}
