package silence

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/auth"
)

const (
	engTok    = "engineer-token-0123456789abcdef"
	viewerTok = "viewer-token-0123456789abcdef"
)

func startAPI(t *testing.T) (*httptest.Server, *Set, *clockwork.FakeClock) {
	t.Helper()
	return startAPIAt(t, t0)
}

// startAPIAt is startAPI with the clock at start.
func startAPIAt(t *testing.T, start time.Time) (*httptest.Server, *Set, *clockwork.FakeClock) {
	t.Helper()
	clk := clockwork.NewFakeClockAt(start)
	set := openSet(t, filepath.Join(t.TempDir(), "silences.db"), clk)
	a, err := auth.New(auth.Config{Tokens: []auth.Token{
		{Name: "eng", Token: engTok, Role: auth.RoleEngineer},
		{Name: "duty", Token: viewerTok, Role: auth.RoleViewer},
	}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewAPI(APIOptions{Set: set, Auth: a, Clock: clk, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, set, clk
}

func call(t *testing.T, method, u, tok, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAPIAuthAndRoutes(t *testing.T) {
	t.Parallel()
	srv, _, _ := startAPI(t)
	post := `{"matchers":[{"name":"device","value":"sw1","isRegex":false}],"startsAt":"2026-03-02T01:00:00Z",` +
		`"endsAt":"2026-03-02T03:00:00Z","createdBy":"li","comment":"固件升级"}`
	tests := []struct {
		name, method, path, tok, body string
		want                          int
		contains                      string
	}{
		{"status is open", "GET", "/api/v2/status", "", "", 200, `"cluster"`},
		{"list needs a token", "GET", "/api/v2/silences", "", "", 401, "authentication required"},
		{"a viewer lists", "GET", "/api/v2/silences", viewerTok, "", 200, "[]"},
		{"a viewer may not post", "POST", "/api/v2/silences", viewerTok, post, 403, "needs engineer"},
		{"post needs a token", "POST", "/api/v2/silences", "", post, 401, ""},
		{"an engineer posts", "POST", "/api/v2/silences", engTok, post, 200, `"silenceID"`},
		{"bad json", "POST", "/api/v2/silences", engTok, `{`, 400, "bad silence"},
		{"bad regex", "POST", "/api/v2/silences", engTok, strings.Replace(post, `"isRegex":false`, `"isRegex":true,"value":"("`, 1), 400, "invalid"},
		{"unknown id", "GET", "/api/v2/silence/nope", viewerTok, "", 404, "not found"},
		{"expire unknown", "DELETE", "/api/v2/silence/nope", engTok, "", 404, "not found"},
		{"a viewer may not expire", "DELETE", "/api/v2/silence/nope", viewerTok, "", 403, ""},
		{"bad filter", "GET", "/api/v2/silences?filter=" + url.QueryEscape(`device~x`), viewerTok, "", 400, "bad filter"},
	}
	for _, tc := range tests {
		code, body := call(t, tc.method, srv.URL+tc.path, tc.tok, tc.body)
		if code != tc.want || !strings.Contains(body, tc.contains) {
			t.Errorf("%s: %d %s, want %d containing %q", tc.name, code, body, tc.want, tc.contains)
		}
	}
}

func TestAPIFilterAndStates(t *testing.T) {
	t.Parallel()
	srv, set, clk := startAPI(t)
	ctx := t.Context()
	active, _ := set.Put(ctx, window(t, t0, t0.Add(time.Hour), `device="sw1"`, `alertname=~"Port.*"`))
	pending, _ := set.Put(ctx, window(t, t0.Add(time.Hour), t0.Add(2*time.Hour), `site="hq"`))
	gone, _ := set.Put(ctx, window(t, t0, t0.Add(time.Hour), `device="sw2"`))
	clk.Advance(time.Minute)
	if err := set.Expire(ctx, gone); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		filter []string
		want   []string // ids in Alertmanager's order
	}{
		{nil, []string{active, pending, gone}},
		{[]string{`device="sw1"`}, []string{active}},
		{[]string{`device=~"sw.*"`}, []string{active, gone}},
		{[]string{`device!="sw1"`}, []string{pending, gone}},              // a silence without the name has "" there
		{[]string{`device=""`}, []string{pending}},                        // only the silences without a device matcher
		{[]string{`{device="sw1",alertname="Port.*"}`}, []string{active}}, // compared with the pattern as written
		{[]string{`site="hq"`, `device="sw1"`}, nil},
	}
	for _, tc := range tests {
		q := url.Values{"filter": tc.filter}
		code, body := call(t, "GET", srv.URL+"/api/v2/silences?"+q.Encode(), viewerTok, "")
		if code != 200 {
			t.Fatalf("%v: %d %s", tc.filter, code, body)
		}
		var got []APISilence
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range got {
			ids = append(ids, s.ID)
		}
		if strings.Join(ids, ",") != strings.Join(tc.want, ",") {
			t.Errorf("filter %v: %v, want %v", tc.filter, ids, tc.want)
		}
	}
	code, body := call(t, "GET", srv.URL+"/api/v2/silence/"+pending, viewerTok, "")
	if code != 200 || !strings.Contains(body, `"state":"pending"`) || !strings.Contains(body, `"isEqual":true`) {
		t.Fatalf("get pending: %d %s", code, body)
	}
}
