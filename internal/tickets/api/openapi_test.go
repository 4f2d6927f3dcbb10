package api_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"encoding/json"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/api"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// openAPIPath is docs/api/openapi.yaml from this package's directory.
var openAPIPath = filepath.Join("..", "..", "..", "docs", "api", "openapi.yaml")

type spec struct {
	OpenAPI    string                               `yaml:"openapi"`
	Paths      map[string]map[string]map[string]any `yaml:"paths"`
	Components struct {
		Schemas   map[string]map[string]any `yaml:"schemas"`
		Responses map[string]map[string]any `yaml:"responses"`
	} `yaml:"components"`
}

func loadSpec(t *testing.T) *spec {
	t.Helper()
	b, err := os.ReadFile(openAPIPath)
	if err != nil {
		t.Fatal(err)
	}
	var s spec
	if err := yaml.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s: %v", openAPIPath, err)
	}
	if !strings.HasPrefix(s.OpenAPI, "3.0.") || len(s.Paths) == 0 {
		t.Fatalf("%s: openapi %q with %d paths", openAPIPath, s.OpenAPI, len(s.Paths))
	}
	return &s
}

// The route drift check (every route documented, every documented operation
// served) covers all collector routes and lives in collector/openapi_test.go;
// this file checks the ticket schemas against the Go types and real answers.

// jsonNames returns the JSON field names of a struct type, following
// embedded structs as encoding/json does.
func jsonNames(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			out = append(out, jsonNames(f.Type)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func TestOpenAPISchemasMatchGoTypes(t *testing.T) {
	t.Parallel()
	s := loadSpec(t)
	for name, typ := range map[string]any{
		"Ticket": api.Ticket{}, "TimerView": tickets.TimerView{}, "Event": tickets.Event{}, "Part": tickets.Part{},
		"Affected": tickets.Affected{}, "ActionRequest": tickets.ActionRequest{}, "Manual": tickets.Manual{},
		"IngestResult": tickets.IngestResult{}, "Complaint": tickets.Complaint{}, "ComplaintRequest": tickets.ComplaintRequest{},
	} {
		sch, ok := s.Components.Schemas[name]
		if !ok {
			t.Errorf("schema %s missing", name)
			continue
		}
		props, _ := sch["properties"].(map[string]any)
		var got []string
		for p := range props {
			got = append(got, p)
		}
		sort.Strings(got)
		if want := jsonNames(reflect.TypeOf(typ)); !reflect.DeepEqual(got, want) {
			t.Errorf("schema %s properties %v; Go JSON fields %v", name, got, want)
		}
	}
}

// validator checks a decoded JSON value against a schema of the spec: types,
// enums, required and (with additionalProperties: false) unknown keys.
type validator struct {
	s    *spec
	errs []string
}

func (v *validator) resolve(sch map[string]any) map[string]any {
	for {
		ref, ok := sch["$ref"].(string)
		if !ok {
			return sch
		}
		sch = v.s.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")]
		if sch == nil {
			v.errs = append(v.errs, "unresolved "+ref)
			return map[string]any{}
		}
	}
}

func (v *validator) check(where string, sch map[string]any, val any) {
	sch = v.resolve(sch)
	if all, ok := sch["allOf"].([]any); ok {
		for _, a := range all {
			v.check(where, a.(map[string]any), val)
		}
	}
	if val == nil {
		if n, _ := sch["nullable"].(bool); !n && sch["type"] != nil {
			v.errs = append(v.errs, where+": null but not nullable")
		}
		return
	}
	if enum, ok := sch["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			found = found || fmt.Sprint(e) == fmt.Sprint(val)
		}
		if !found {
			v.errs = append(v.errs, fmt.Sprintf("%s: %v not in %v", where, val, enum))
		}
	}
	typ, _ := sch["type"].(string)
	switch x := val.(type) {
	case map[string]any:
		if typ != "object" {
			v.errs = append(v.errs, fmt.Sprintf("%s: object, schema type %q", where, typ))
			return
		}
		props, _ := sch["properties"].(map[string]any)
		for _, r := range asList(sch["required"]) {
			if _, ok := x[r]; !ok {
				v.errs = append(v.errs, where+": required "+r+" missing")
			}
		}
		for k, kv := range x {
			if p, ok := props[k].(map[string]any); ok {
				v.check(where+"."+k, p, kv)
			} else if ap, ok := sch["additionalProperties"].(map[string]any); ok {
				v.check(where+"."+k, ap, kv)
			} else if ap, ok := sch["additionalProperties"].(bool); ok && !ap {
				v.errs = append(v.errs, where+": undocumented field "+k)
			}
		}
	case []any:
		if typ != "array" {
			v.errs = append(v.errs, fmt.Sprintf("%s: array, schema type %q", where, typ))
			return
		}
		items, _ := sch["items"].(map[string]any)
		for i, e := range x {
			v.check(fmt.Sprintf("%s[%d]", where, i), items, e)
		}
	case string:
		if typ != "string" && typ != "" {
			v.errs = append(v.errs, fmt.Sprintf("%s: string, schema type %q", where, typ))
		}
		if sch["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, x); err != nil {
				v.errs = append(v.errs, fmt.Sprintf("%s: %q not date-time", where, x))
			}
		}
	case float64:
		if typ != "integer" && typ != "number" {
			v.errs = append(v.errs, fmt.Sprintf("%s: number, schema type %q", where, typ))
		}
		if typ == "integer" && x != float64(int64(x)) {
			v.errs = append(v.errs, fmt.Sprintf("%s: %v not an integer", where, x))
		}
	case bool:
		if typ != "boolean" {
			v.errs = append(v.errs, fmt.Sprintf("%s: boolean, schema type %q", where, typ))
		}
	}
}

func asList(v any) []string {
	l, _ := v.([]any)
	out := make([]string, len(l))
	for i, x := range l {
		out[i] = fmt.Sprint(x)
	}
	return out
}

// responseSchema returns the JSON schema of an operation's answer.
func (s *spec) responseSchema(t *testing.T, method, path string, code int) map[string]any {
	t.Helper()
	op, ok := s.Paths[path][strings.ToLower(method)]
	if !ok {
		t.Fatalf("%s %s not documented", method, path)
	}
	resps, _ := op["responses"].(map[string]any)
	r, ok := resps[strconv.Itoa(code)].(map[string]any)
	if !ok {
		t.Fatalf("%s %s: status %d not documented", method, path, code)
	}
	if ref, ok := r["$ref"].(string); ok {
		r = s.Components.Responses[strings.TrimPrefix(ref, "#/components/responses/")]
	}
	content, _ := r["content"].(map[string]any)
	js, _ := content["application/json"].(map[string]any)
	sch, _ := js["schema"].(map[string]any)
	if sch == nil {
		t.Fatalf("%s %s %d: no application/json schema", method, path, code)
	}
	return sch
}

func TestOpenAPISchemasAcceptRealAnswers(t *testing.T) {
	t.Parallel()
	s := loadSpec(t)
	srv := start(t, false, false)
	t0 := ticketstest.Start.Add(-time.Minute)
	steps := []struct {
		method, path, doc, token, body string
		code                           int
	}{
		{"POST", "/api/v1/alertmanager/webhook", "", intakeTok, webhook("firing", "core1", t0), 200},
		{"POST", "/api/v2/alerts", "", intakeTok, `[{"labels":{"alertname":"UPSOnBattery","device":"ups1","class":"ups"},"startsAt":"` + t0.Format(time.RFC3339) + `"}]`, 200},
		{"POST", "/api/v2/alerts", "", intakeTok, `{"not":"an array"}`, 400},
		{"GET", "/api/v1/tickets", "", viewerTok, "", 200},
		{"GET", "/api/v1/tickets?level=V", "/api/v1/tickets", viewerTok, "", 400},
		{"GET", "/api/v1/tickets", "", "", "", 401},
		{"POST", "/api/v1/tickets", "", engineerTok, `{"title":"机房漏水","level":"II","device":"ac1","site":"城关","category":"room_infra","channel":"phone","reporter":"值班室"}`, 201},
		{"POST", "/api/v1/tickets", "", viewerTok, `{"title":"x","level":"II"}`, 403},
		{"POST", "/api/v1/tickets/1/ack", "/api/v1/tickets/{id}/{action}", engineerTok, `{"note":"收到"}`, 200},
		{"POST", "/api/v1/tickets/1/part", "/api/v1/tickets/{id}/{action}", engineerTok, `{"part":{"part":"电源模块","serial":"SN1"}}`, 200},
		{"POST", "/api/v1/tickets/1/diagnose", "/api/v1/tickets/{id}/{action}", engineerTok, `{"text":"电源模块故障"}`, 200},
		{"POST", "/api/v1/tickets/1/plan", "/api/v1/tickets/{id}/{action}", engineerTok, `{"text":"更换电源模块","attachment":"plan.pdf"}`, 200},
		{"POST", "/api/v1/tickets/1/pause", "/api/v1/tickets/{id}/{action}", engineerTok, `{"reason":"等待厂商备件","agreed_by":"科长"}`, 200},
		{"POST", "/api/v1/tickets/1/pause", "/api/v1/tickets/{id}/{action}", engineerTok, `{"reason":"x","agreed_by":"y"}`, 409},
		{"POST", "/api/v1/tickets/1/resume", "/api/v1/tickets/{id}/{action}", engineerTok, ``, 200},
		{"POST", "/api/v1/tickets/1/spare", "/api/v1/tickets/{id}/{action}", engineerTok, `{"part_id":1}`, 200},
		{"POST", "/api/v1/tickets/1/spare", "/api/v1/tickets/{id}/{action}", engineerTok, `{"part_id":99}`, 400},
		{"POST", "/api/v1/tickets/1/followup", "/api/v1/tickets/{id}/{action}", engineerTok, `{"satisfaction":5}`, 409},
		{"POST", "/api/v1/tickets/1/resolve", "/api/v1/tickets/{id}/{action}", engineerTok, `{"fix":"x"}`, 400},
		{"POST", "/api/v1/tickets/1/resolve", "/api/v1/tickets/{id}/{action}", engineerTok, `{"cause":"电源老化","fix":"更换电源模块"}`, 200},
		{"POST", "/api/v1/tickets/1/report", "/api/v1/tickets/{id}/{action}", engineerTok, `{"text":"故障处理报告","attachment":"report.pdf"}`, 200},
		{"POST", "/api/v1/tickets/1/confirm", "/api/v1/tickets/{id}/{action}", engineerTok, `{"by":"值班室"}`, 200},
		{"POST", "/api/v1/tickets/1/followup", "/api/v1/tickets/{id}/{action}", engineerTok, `{"satisfaction":6}`, 400},
		{"POST", "/api/v1/tickets/1/followup", "/api/v1/tickets/{id}/{action}", engineerTok, `{"satisfaction":5,"note":"满意"}`, 200},
		{"POST", "/api/v1/tickets/1/reject", "/api/v1/tickets/{id}/{action}", engineerTok, `{"note":"仍有告警"}`, 200},
		{"POST", "/api/v1/tickets/2/cancel", "/api/v1/tickets/{id}/{action}", managerTok, `{"note":"误报"}`, 200},
		{"POST", "/api/v1/tickets/1/reopen", "/api/v1/tickets/{id}/{action}", engineerTok, ``, 403},
		{"POST", "/api/v1/tickets/1/close", "/api/v1/tickets/{id}/{action}", engineerTok, ``, 409},
		{"POST", "/api/v1/tickets/1/fly", "/api/v1/tickets/{id}/{action}", engineerTok, ``, 404},
		{"GET", "/api/v1/tickets/1", "/api/v1/tickets/{id}", viewerTok, "", 200},
		{"GET", "/api/v1/tickets/x", "/api/v1/tickets/{id}", viewerTok, "", 400},
		{"GET", "/api/v1/tickets/999", "/api/v1/tickets/{id}", viewerTok, "", 404},
	}
	for _, st := range steps {
		req, _ := http.NewRequest(st.method, srv.URL+st.path, strings.NewReader(st.body))
		if st.token != "" {
			req.Header.Set("Authorization", "Bearer "+st.token)
		}
		if st.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body any
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != st.code || err != nil {
			t.Errorf("%s %s: %d (want %d), decode: %v", st.method, st.path, resp.StatusCode, st.code, err)
			continue
		}
		doc := st.doc
		if doc == "" {
			doc = st.path
		}
		v := &validator{s: s}
		v.check(st.method+" "+st.path, s.responseSchema(t, st.method, doc, st.code), body)
		for _, e := range v.errs {
			t.Errorf("%d: %s", st.code, e)
		}
	}
}
