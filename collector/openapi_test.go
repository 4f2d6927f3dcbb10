package collector

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/registry"
	"github.com/roomwatch/roomwatch/internal/roster"
)

// The drift test between docs/api/openapi.yaml and the routes the collector
// serves. Route patterns are read from the source (go/ast) of every file that
// registers them, listed in routeSources; documented operations are matched
// against them with a real http.ServeMux (so {id}.html matches {id}), then a
// running collector is asked every documented operation (served, not the
// mux's 404/405) and every undocumented method on a documented path (404/405).

// openAPIFile is docs/api/openapi.yaml from this package's directory.
var openAPIFile = filepath.Join("..", "docs", "api", "openapi.yaml")

// routeSource names a file (from the module root) and how it registers routes.
type routeSource struct {
	file string
	// call is a function or method call whose first argument is the route
	// pattern ("mux.Handle", "guard"), or one of the special forms:
	// "regexp.MustCompile" (promapi's allowed endpoints: the alternatives of
	// its one group, with methods from Prometheus's own web/api/v1 Register)
	// and "r.URL.Path ==" (a path promapi answers itself, any method).
	call string
	// mounts: a non-literal pattern is a mount of a handler whose routes are
	// read from another source (wire.go mounts the ticket handler in a loop).
	mounts bool
}

var routeSources = []routeSource{
	{file: "internal/tickets/api/api.go", call: "mux.Handle"},
	{file: "internal/tickets/api/api.go", call: "mux.HandleFunc"},
	{file: "internal/tickets/api/complaints.go", call: "mux.Handle"},
	{file: "internal/inspect/api/api.go", call: "guard"},
	{file: "internal/report/api/api.go", call: "mux.Handle"},
	{file: "internal/silence/amapi.go", call: "mux.Handle"},
	{file: "internal/roster/api.go", call: "mux.Handle"},
	{file: "collector/wire.go", call: "s.Handle", mounts: true}, // /api/v1/write, /api/v1/agents…
	{file: "internal/promapi/promapi.go", call: "regexp.MustCompile"},
	{file: "internal/promapi/promapi.go", call: "r.URL.Path =="},
}

// route is one registered pattern: "METHOD /path" or "/path" (any method).
type route struct {
	pattern string
	source  string // file:line
}

type openAPISpec struct {
	OpenAPI    string                               `yaml:"openapi"`
	Paths      map[string]map[string]map[string]any `yaml:"paths"`
	Components struct {
		Schemas   map[string]map[string]any `yaml:"schemas"`
		Responses map[string]map[string]any `yaml:"responses"`
	} `yaml:"components"`
}

func loadOpenAPI(t *testing.T) *openAPISpec {
	t.Helper()
	b, err := os.ReadFile(openAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	var s openAPISpec
	if err := yaml.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s: %v", openAPIFile, err)
	}
	if !strings.HasPrefix(s.OpenAPI, "3.0.") || len(s.Paths) == 0 {
		t.Fatalf("%s: openapi %q with %d paths", openAPIFile, s.OpenAPI, len(s.Paths))
	}
	return &s
}

var openAPIMethods = []string{"get", "put", "post", "delete", "patch", "head", "options"}

// operations returns "METHOD /path" for every documented operation.
func (s *openAPISpec) operations() []string {
	var out []string
	for p, ops := range s.Paths {
		for _, m := range openAPIMethods {
			if _, ok := ops[m]; ok {
				out = append(out, strings.ToUpper(m)+" "+p)
			}
		}
	}
	sort.Strings(out)
	return out
}

// samplePath fills a documented path's parameters with values the routes accept.
func samplePath(p string) string {
	return regexp.MustCompile(`\{[^}]+\}`).ReplaceAllStringFunc(p, func(v string) string {
		switch v {
		case "{action}":
			return "ack"
		case "{photo}":
			return strings.Repeat("ab", 32) + ".jpg"
		case "{name}":
			return "job"
		}
		return "1"
	})
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// registeredRoutes reads every routeSource.
func registeredRoutes(t *testing.T) []route {
	t.Helper()
	root := moduleRoot(t)
	var out []route
	for _, src := range routeSources {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, filepath.Join(root, src.file), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := len(out)
		ast.Inspect(f, func(n ast.Node) bool {
			switch src.call {
			case "r.URL.Path ==":
				if b, ok := n.(*ast.BinaryExpr); ok && b.Op == token.EQL && exprString(b.X) == "r.URL.Path" {
					if lit, ok := b.Y.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						p, _ := strconv.Unquote(lit.Value)
						out = append(out, route{p, fmt.Sprint(fset.Position(b.Pos()))})
					}
				}
				return true
			}
			call, ok := n.(*ast.CallExpr)
			if !ok || exprString(call.Fun) != src.call || len(call.Args) == 0 {
				return true
			}
			where := fmt.Sprint(fset.Position(call.Pos()))
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				if !src.mounts {
					t.Errorf("%s: route pattern is not a string literal; this test cannot read it", where)
				}
				return true
			}
			p, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			if src.call == "regexp.MustCompile" {
				for _, r := range promapiRoutes(t, p) {
					out = append(out, route{r, where})
				}
				return true
			}
			out = append(out, route{p, where})
			return true
		})
		if len(out) == n {
			t.Errorf("%s: found no %s route", src.file, src.call)
		}
	}
	return out
}

func exprString(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.SelectorExpr:
		return exprString(x.X) + "." + x.Sel.Name
	}
	return ""
}

// promapiRoutes expands promapi's allowed expression, ^/api/v1/(a|b|label/[^/]+/values)$,
// into "METHOD /api/v1/a" patterns with the methods Prometheus registers.
func promapiRoutes(t *testing.T, expr string) []route0 {
	t.Helper()
	m := regexp.MustCompile(`^\^(/[^(]*)\((.*)\)\$$`).FindStringSubmatch(expr)
	if m == nil {
		t.Fatalf("promapi: cannot read the allowed expression %q", expr)
	}
	methods := prometheusMethods(t)
	var out []route0
	for _, alt := range strings.Split(m[2], "|") {
		p := m[1] + strings.ReplaceAll(alt, "[^/]+", "{name}")
		ms := methods[p]
		if len(ms) == 0 {
			t.Errorf("promapi allows %s but Prometheus's API registers no route for it", p)
		}
		for _, meth := range ms {
			out = append(out, meth+" "+p)
		}
	}
	return out
}

type route0 = string

// prometheusMethods reads web/api/v1/api.go of the Prometheus module in use:
// r.Get("/query", …) → "/api/v1/query": [GET].
func prometheusMethods(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/prometheus/prometheus")
	cmd.Dir = moduleRoot(t)
	dir, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list prometheus: %v", err)
	}
	file := filepath.Join(strings.TrimSpace(string(dir)), "web", "api", "v1", "api.go")
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		meth := map[string]string{"r.Get": "GET", "r.Post": "POST", "r.Put": "PUT", "r.Del": "DELETE"}[exprString(call.Fun)]
		lit, ok := call.Args[0].(*ast.BasicLit)
		if meth == "" || !ok || lit.Kind != token.STRING {
			return true
		}
		p, _ := strconv.Unquote(lit.Value)
		p = "/api/v1" + regexp.MustCompile(`:[a-z]+`).ReplaceAllString(p, "{name}")
		out[p] = append(out[p], meth)
		return true
	})
	if len(out) == 0 {
		t.Fatalf("%s: no r.Get/r.Post routes", file)
	}
	return out
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	t.Parallel()
	s := loadOpenAPI(t)
	routes := registeredRoutes(t)
	mux := http.NewServeMux()
	byPattern := map[string]route{}
	for _, r := range routes {
		if prev, dup := byPattern[r.pattern]; dup {
			t.Errorf("%s and %s both register %q", prev.source, r.source, r.pattern)
			continue
		}
		byPattern[r.pattern] = r
		func() {
			defer func() {
				if e := recover(); e != nil {
					t.Errorf("%s: %q conflicts: %v", r.source, r.pattern, e)
				}
			}()
			mux.Handle(r.pattern, http.NotFoundHandler())
		}()
	}
	covered := map[string]bool{}
	for _, op := range s.operations() {
		method, path, _ := strings.Cut(op, " ")
		req, err := http.NewRequest(method, "http://collector"+samplePath(path), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, pat := mux.Handler(req)
		if _, ok := byPattern[pat]; !ok {
			t.Errorf("docs/api/openapi.yaml documents %q; no collector route serves it", op)
			continue
		}
		covered[pat] = true
	}
	for _, r := range routes {
		if !covered[r.pattern] {
			t.Errorf("%s registers %q; docs/api/openapi.yaml does not document it", r.source, r.pattern)
		}
	}
	if len(routes) < 20 {
		t.Errorf("read only %d routes: %v", len(routes), routes)
	}
}

// Tokens of the running collector.
const (
	oaViewer   = "oa-viewer-0123456789"
	oaEngineer = "oa-engineer-0123456789"
	oaManager  = "oa-manager-0123456789"
	oaAdmin    = "oa-admin-0123456789"
)

// startOpenAPICollector runs `serve` with tickets, inspections (the shipped
// templates), reports, the registry and the receiver on loopback.
func startOpenAPICollector(t *testing.T) string {
	t.Helper()
	root := moduleRoot(t)
	cfg := DefaultConfig()
	cfg.Global.DataDir = t.TempDir()
	cfg.Web.ListenAddress = "127.0.0.1:0"
	cfg.Rules.Files = nil
	cfg.Scrape = nil
	cfg.Tickets.Rules = filepath.Join(root, "rules", "fault-levels.yml")
	cfg.SLA.Dir = filepath.Join(root, "rules", "sla")
	cfg.SLA.Holidays = filepath.Join(root, "rules", "calendars", "cn-holidays.yml")
	cfg.Inspections.Templates = filepath.Join(root, "rules", "inspections")
	cfg.Tickets.Auth.Tokens = []auth.Token{
		{Name: "viewer", Token: oaViewer, Role: auth.RoleViewer},
		{Name: "张工", Token: oaEngineer, Role: auth.RoleEngineer},
		{Name: "李科长", Token: oaManager, Role: auth.RoleManager},
		{Name: "admin", Token: oaAdmin, Role: auth.RoleAdmin},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return startServe(t, cfg)
}

type oaAnswer struct {
	code  int
	ctype string
	body  []byte
}

func oaDo(t *testing.T, method, u, tok, ctype string, body []byte) oaAnswer {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	return oaAnswer{resp.StatusCode, resp.Header.Get("Content-Type"), b.Bytes()}
}

// servedButUndocumented lists undocumented methods a route still answers, with
// the reason (none today: the test fails when an entry is no longer served, so
// the list cannot go stale).
var servedButUndocumented = map[string]string{}

func TestOpenAPIOperationsAreServed(t *testing.T) {
	t.Parallel()
	s := loadOpenAPI(t)
	base := startOpenAPICollector(t)
	documented := map[string]bool{}
	for _, op := range s.operations() {
		documented[op] = true
	}
	for p := range s.Paths {
		u := base + samplePath(p)
		for _, m := range []string{"GET", "POST", "PUT", "DELETE", "PATCH"} {
			if documented[m+" "+p] {
				// Without a token: the guarded routes answer 401 with their
				// JSON error, the open ones their own answer; never the
				// mux's 404 or 405.
				a := oaDo(t, m, u, "", "application/json", []byte("{}"))
				if a.code == http.StatusNotFound || a.code == http.StatusMethodNotAllowed {
					t.Errorf("%s %s (documented): %d %s %.80q", m, p, a.code, a.ctype, a.body)
				}
				continue
			}
			// With the strongest token an undocumented method is refused.
			a := oaDo(t, m, u, oaAdmin, "application/json", []byte("{}"))
			refused := a.code == http.StatusNotFound || a.code == http.StatusMethodNotAllowed
			if why, known := servedButUndocumented[m+" "+p]; known {
				if refused {
					t.Errorf("%s %s is refused now (%d); drop it from servedButUndocumented (%s)", m, p, a.code, why)
				}
				continue
			}
			if !refused {
				t.Errorf("%s %s (not documented): %d %s %.80q; want 404 or 405", m, p, a.code, a.ctype, a.body)
			}
		}
	}
}

// openAPIJSONNames returns the JSON field names of a struct type, following
// embedded structs as encoding/json does.
func openAPIJSONNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			out = append(out, openAPIJSONNames(f.Type)...)
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

func TestOpenAPISchemasMatchCollectorTypes(t *testing.T) {
	t.Parallel()
	s := loadOpenAPI(t)
	for name, typ := range map[string]any{
		"Inspection": inspect.Inspection{}, "InspectionSummary": inspect.Summary{}, "InspectionRow": inspect.Row{},
		"Evidence": inspect.Evidence{}, "ItemInfo": inspect.ItemInfo{}, "TicketSummary": inspect.TicketSummary{},
		"Totals": inspect.Totals{}, "Signature": inspect.Signature{}, "SignatureRequest": inspect.Signature{},
		"Completion": inspect.Completion{}, "Agent": registry.Agent{}, "AgentInfo": registry.Info{},
		"Roster": roster.APIRoster{}, "RosterShift": roster.APIShift{}, "RosterDuty": roster.APIDuty{},
		"RosterPerson": roster.APIPerson{}, "RosterProblem": roster.Problem{}, "RosterOverride": roster.APIOverride{},
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
		if want := openAPIJSONNames(reflect.TypeOf(typ)); !reflect.DeepEqual(got, want) {
			t.Errorf("schema %s properties %v; Go JSON fields %v", name, got, want)
		}
	}
}

// oaKeys checks an object's keys against a schema's properties and required.
func oaKeys(t *testing.T, s *openAPISpec, schema, where string, obj map[string]any) {
	t.Helper()
	sch := s.Components.Schemas[schema]
	props, _ := sch["properties"].(map[string]any)
	for k := range obj {
		if _, ok := props[k]; !ok {
			t.Errorf("%s: field %q not in schema %s", where, k, schema)
		}
	}
	req, _ := sch["required"].([]any)
	for _, r := range req {
		if _, ok := obj[fmt.Sprint(r)]; !ok {
			t.Errorf("%s: required %v missing (schema %s)", where, r, schema)
		}
	}
}

func TestOpenAPIInspectionAnswers(t *testing.T) {
	t.Parallel()
	s := loadOpenAPI(t)
	base := startOpenAPICollector(t)
	u := base + "/api/v1/inspections"
	a := oaDo(t, "POST", u, oaEngineer, "application/json", []byte(`{"template":"daily"}`))
	var in map[string]any
	if a.code != http.StatusCreated || json.Unmarshal(a.body, &in) != nil {
		t.Fatalf("run: %d %.200s", a.code, a.body)
	}
	oaKeys(t, s, "Inspection", "POST /api/v1/inspections", in)
	rows, _ := in["rows"].([]any)
	for i, r := range rows {
		oaKeys(t, s, "InspectionRow", fmt.Sprintf("rows[%d]", i), r.(map[string]any))
	}
	a = oaDo(t, "GET", u, oaViewer, "", nil)
	var list struct{ Inspections []map[string]any }
	if a.code != http.StatusOK || json.Unmarshal(a.body, &list) != nil || len(list.Inspections) != 1 {
		t.Fatalf("list: %d %.200s", a.code, a.body)
	}
	oaKeys(t, s, "InspectionSummary", "GET /api/v1/inspections", list.Inspections[0])
	for _, c := range []struct {
		method, path, tok, body string
		code                    int
	}{
		{"GET", "/api/v1/inspections?limit=x", oaViewer, "", 400},
		{"GET", "/api/v1/inspections", "", "", 401},
		{"POST", "/api/v1/inspections", oaViewer, `{"template":"daily"}`, 403},
		{"POST", "/api/v1/inspections", oaEngineer, `{"template":"nope"}`, 404},
		{"GET", "/api/v1/inspections/999", oaViewer, "", 404},
		{"POST", "/api/v1/inspections/1/signatures", oaEngineer, `{"role":"customer"}`, 403},
	} {
		a := oaDo(t, c.method, base+c.path, c.tok, "application/json", []byte(c.body))
		var e map[string]any
		if a.code != c.code || json.Unmarshal(a.body, &e) != nil {
			t.Errorf("%s %s: %d %.200s; want %d with JSON", c.method, c.path, a.code, a.body, c.code)
			continue
		}
		oaKeys(t, s, "Error", c.method+" "+c.path, e)
		path, _, _ := strings.Cut(c.path, "?")
		path = strings.Replace(strings.Replace(path, "/999", "/{id}", 1), "/1/", "/{id}/", 1)
		resps, _ := s.Paths[path][strings.ToLower(c.method)]["responses"].(map[string]any)
		if _, ok := resps[strconv.Itoa(c.code)]; !ok {
			t.Errorf("%s %s: status %d not documented", c.method, path, c.code)
		}
	}
}
