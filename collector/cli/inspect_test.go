package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/roomwatch/roomwatch/collector"
	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/inspect"
	inspectapi "github.com/roomwatch/roomwatch/internal/inspect/api"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/store"
	"github.com/roomwatch/roomwatch/internal/testutil"
)

const cliTemplate = `name: daily
title: 每日巡检检查表
rhythm: daily
items:
  - id: room_temp
    name: 机柜温度
    name_en: Rack temperature
    metric:
      query: 'max by (device) (cli_inspect_temperature_celsius)'
      abnormal: "> 35"
    level: II
  - id: room_walk
    name: 机房巡视
    name_en: Machine room walk-through
    scope: site
    manual: {hint: 查看指示灯}
`

// inspectEnv writes a collector config with a template, an inventory, the
// repository's fault levels and SLA, and a TSDB holding one sample per device.
func inspectEnv(t *testing.T) (cfgPath, dataDir string) {
	t.Helper()
	root, err := testutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dataDir = filepath.Join(dir, "data")
	tdir := filepath.Join(dir, "inspections")
	os.MkdirAll(tdir, 0o750)
	if err := os.WriteFile(filepath.Join(tdir, "daily.yml"), []byte(cliTemplate), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`global: {data_dir: %q}
inspections: {templates: %q}
inventory:
  sites: [{name: central, display_name: 情指中心机房}]
  devices:
    - {name: srv1, class: server, address: 127.0.0.1, site: central}
    - {name: cam1, class: camera, address: 127.0.0.2, site: central}
tickets: {rules: %q}
sla: {dir: %q, holidays: %q}
`, dataDir, tdir, filepath.Join(root, "rules", "fault-levels.yml"), filepath.Join(root, "rules", "sla"),
		filepath.Join(root, "rules", "calendars", "cn-holidays.yml"))
	cfgPath = filepath.Join(dir, "collector.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: filepath.Join(dataDir, "tsdb")})
	if err != nil {
		t.Fatal(err)
	}
	app := st.Appender(context.Background())
	ts := time.Now().Add(-time.Minute).UnixMilli()
	for dev, v := range map[string]float64{"srv1": 24, "cam1": 41} {
		if _, err := app.Append(0, labels.FromStrings("__name__", "cli_inspect_temperature_celsius", "device", dev), ts, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dataDir
}

type runOut struct {
	ID      int64
	Status  string
	Totals  inspect.Totals
	Tickets inspect.TicketSummary
	Photo   string
}

func TestInspectCLI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg, dataDir := inspectEnv(t)
	mustRun := func(args ...string) (string, string) {
		t.Helper()
		code, out, errs := runCLI(ctx, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errs)
		}
		return out, errs
	}
	decode := func(s string) runOut {
		t.Helper()
		var r runOut
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			t.Fatalf("%v: %s", err, s)
		}
		return r
	}

	out, errs := mustRun("inspect", "run", "daily", "--config", cfg)
	r := decode(out)
	if r.ID != 1 || r.Totals.Normal != 1 || r.Totals.Abnormal != 1 || r.Totals.Pending != 1 || r.Tickets.Opened != 1 {
		t.Errorf("in-process run %+v, want the hot camera to open a ticket", r)
	}
	if !strings.Contains(errs, "巡检 daily: 2/2 项, 3/3 检查") {
		t.Errorf("no final progress line on stderr: %q", errs)
	}
	// The same fault again: the ticket is updated, not opened twice.
	out, _ = mustRun("inspect", "run", "daily", "--config", cfg)
	if r := decode(out); r.Tickets.Opened != 0 || r.Tickets.Updated != 1 {
		t.Errorf("second run tickets %+v, want 0 opened, 1 updated", r.Tickets)
	}
	out, _ = mustRun("inspect", "run", "daily", "--config", cfg, "--no-tickets")
	if r := decode(out); r.Tickets.Alerts != 0 || r.Totals.Abnormal != 1 {
		t.Errorf("--no-tickets run %+v", r)
	}
	out, _ = mustRun("inspect", "list", "--config", cfg, "--limit", "2")
	var list []inspect.Summary
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 2 || list[0].ID != 3 {
		t.Errorf("list: %v %s", err, out)
	}

	var pb bytes.Buffer
	if err := png.Encode(&pb, image.NewGray(image.Rect(0, 0, 4, 3))); err != nil {
		t.Fatal(err)
	}
	photo := filepath.Join(t.TempDir(), "walk.png")
	os.WriteFile(photo, pb.Bytes(), 0o600)
	out, _ = mustRun("inspect", "complete", "1", "--config", cfg, "--device", "central", "--item", "room_walk",
		"--verdict", "normal", "--note", "指示灯正常", "--user", "张工", "--photo", photo)
	if r := decode(out); r.Status != "completed" || !strings.HasSuffix(r.Photo, ".png") {
		t.Errorf("complete %+v", r)
	}
	mustRun("inspect", "sign", "1", "--config", cfg, "--role", "engineer", "--user", "张工")
	// The countersignature needs the representative's own account: a name
	// alone no longer signs, nor an engineer's account.
	if code, _, errs := runCLI(ctx, "inspect", "sign", "1", "--config", cfg, "--role", "customer", "--user", "李明", "--title", "科长"); code != 2 || !strings.Contains(errs, "--password-stdin") {
		t.Errorf("countersign without credentials: exit %d %q", code, errs)
	}
	addUser := func(name, display, role string) {
		t.Helper()
		var o, e bytes.Buffer
		if code := userMain(ctx, Env{Stdout: &o, Stderr: &e}, strings.NewReader("Initial-Pass-2024\n"),
			[]string{"add", name, "--config", cfg, "--role", role, "--display-name", display, "--password-stdin"}); code != 0 {
			t.Fatalf("user add %s: %d %s", name, code, e.String())
		}
	}
	addUser("liming", "李明", "customer")
	addUser("zhanggong", "张工", "engineer")
	signAs := func(user, pw string) (int, string) {
		var o, e bytes.Buffer
		code := Main(ctx, Env{Stdout: &o, Stderr: &e, Stdin: strings.NewReader(pw + "\n")},
			[]string{"inspect", "sign", "1", "--config", cfg, "--role", "customer", "--user", user, "--password-stdin", "--title", "科长"})
		return code, o.String() + e.String()
	}
	if code, out := signAs("liming", "wrong-password"); code != 1 || !strings.Contains(out, "countersign") {
		t.Errorf("countersign with a wrong password: exit %d %q", code, out)
	}
	if code, out := signAs("zhanggong", "Initial-Pass-2024"); code != 1 || !strings.Contains(out, "needs role customer") {
		t.Errorf("countersign with an engineer's account: exit %d %q", code, out)
	}
	if code, out := signAs("liming", "Initial-Pass-2024"); code != 1 || !strings.Contains(out, "initial password") {
		t.Errorf("countersign with an initial password: exit %d %q", code, out)
	}
	changePassword(t, dataDir, "liming", "Initial-Pass-2024", "Changed-Pass-2024")
	if code, out := signAs("liming", "Changed-Pass-2024"); code != 0 {
		t.Fatalf("countersign with the representative's account: exit %d %q", code, out)
	}
	html, xlsx := filepath.Join(t.TempDir(), "s.html"), filepath.Join(t.TempDir(), "s.xlsx")
	mustRun("inspect", "show", "1", "--config", cfg, "--html", html, "--xlsx", xlsx)
	if b, _ := os.ReadFile(html); !bytes.Contains(b, []byte("李明 (liming) 科长")) || !bytes.Contains(b, []byte("指示灯正常")) {
		t.Errorf("html sheet lacks the countersignature or the note")
	}
	if b, _ := os.ReadFile(xlsx); !bytes.HasPrefix(b, []byte("PK\x03\x04")) {
		t.Errorf("xlsx is not a workbook")
	}
	out, _ = mustRun("inspect", "show", "1", "--config", cfg)
	if r := decode(out); r.Status != "countersigned" {
		t.Errorf("show: status %q", r.Status)
	}
	_, errs = mustRun("inspect", "verify", "--config", cfg)
	if !strings.Contains(errs, "1 photos verified") {
		t.Errorf("verify: %q", errs)
	}
	// A photo replaced on disk fails verification.
	ents, _ := os.ReadDir(filepath.Join(dataDir, "inspections", "photos"))
	if len(ents) != 1 {
		t.Fatalf("%d photos stored, want 1", len(ents))
	}
	os.WriteFile(filepath.Join(dataDir, "inspections", "photos", ents[0].Name()), append(pb.Bytes(), 0), 0o600)
	if code, _, errs := runCLI(ctx, "inspect", "verify", "--config", cfg); code != 1 || !strings.Contains(errs, "sha256 mismatch") {
		t.Errorf("verify after swapping the photo: exit %d %q", code, errs)
	}

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"inspect"}, 2, "usage"},
		{[]string{"inspect", "show", "x", "--config", cfg}, 2, "not an inspection id"},
		{[]string{"inspect", "run", "nope", "--config", cfg}, 1, `no template "nope"`},
		{[]string{"inspect", "complete", "1", "--config", cfg}, 2, "--device, --item, --verdict and --user are required"},
		{[]string{"inspect", "sign", "1", "--config", cfg, "--role", "engineer", "--user", "x"}, 1, "already signed"},
		{[]string{"inspect", "show", "99", "--config", cfg}, 1, "not found"},
	} {
		code, out, errs := runCLI(ctx, c.args...)
		if code != c.code || !strings.Contains(out+errs, c.want) {
			t.Errorf("%v: exit %d %q, want %d with %q", c.args, code, out+errs, c.code, c.want)
		}
	}
}

// TestInspectRunRemote runs `inspect run --url` against the real inspections
// handler with tokens.
func TestInspectRunRemote(t *testing.T) {
	t.Parallel()
	st, err := inspect.OpenStore(filepath.Join(t.TempDir(), "i.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tm, err := inspect.ParseTemplate("d.yml", []byte(cliTemplate))
	if err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Inventory{Sites: []inventory.Site{{Name: "central"}}}
	r, err := inspect.NewRunner(inspect.Options{Inventory: inv, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(auth.Config{Tokens: []auth.Token{{Name: "zhang", Token: "e-tok-0123456789ab", Role: auth.RoleEngineer}, {Name: "v", Token: "v-tok-0123456789ab", Role: auth.RoleViewer}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(inspectapi.New(inspectapi.Options{Store: st, Runner: r, Templates: []*inspect.Template{tm}, Auth: a}))
	defer srv.Close()
	code, out, errs := runCLI(context.Background(), "inspect", "run", "daily", "--url", srv.URL, "--token", "e-tok-0123456789ab")
	if code != 0 || !strings.Contains(out, `"id": 1`) || !strings.Contains(out, `"pending": 1`) {
		t.Fatalf("remote run: exit %d %s %s", code, out, errs)
	}
	if in, err := st.Get(context.Background(), 1); err != nil || in.Actor != "zhang" || in.Trigger != "api" {
		t.Errorf("stored run %+v %v", in, err)
	}
	if code, _, errs := runCLI(context.Background(), "inspect", "run", "daily", "--url", srv.URL, "--token", "e-tok-0123456789ab", "--no-tickets"); code != 2 || !strings.Contains(errs, "--no-tickets works only in this process") {
		t.Errorf("--url --no-tickets: exit %d %q, want 2", code, errs)
	}
	for _, c := range []struct {
		token, want string
	}{{"", "hint: pass --token"}, {"v-tok-0123456789ab", "403"}, {"bad", "401"}} {
		code, _, errs := runCLI(context.Background(), "inspect", "run", "daily", "--url", srv.URL, "--token", c.token)
		if code != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("token %q: exit %d %q, want 1 with %q", c.token, code, errs, c.want)
		}
	}
}

// startCollector runs the collector of cfgPath (what `serve --config cfgPath`
// runs) until the test ends and returns its base URL.
func startCollector(t *testing.T, cfgPath string) string {
	t.Helper()
	cfg, err := collector.LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := collector.NewServe(ctx, collector.Options{Config: cfg, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("collector Run: %v", err)
		}
	})
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	addr, err := srv.Addr(wctx)
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

// apiGet GETs path from the collector with token and decodes the JSON answer.
func apiGet(t *testing.T, base, path, token string, v any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", path, resp.Status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, b)
	}
}

// TestInspectRunWhileCollectorRuns starts the real collector of a config
// (holding the TSDB's lock, tickets on, an engineer token) and runs
// `inspect run daily --config` with the same config, as an engineer does from
// a shell on the collector machine: the run goes to the collector's API with
// the token from ROOMWATCH_TOKEN, and list, show and verify read the records
// the collector writes. Not parallel: it sets ROOMWATCH_TOKEN.
func TestInspectRunWhileCollectorRuns(t *testing.T) {
	ctx := context.Background()
	cfg, _ := inspectEnv(t)
	addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The same config the CLI reads: the collector's port, its tokens, no
	// scrapes, rules or probes of its own.
	b = append(b, fmt.Sprintf(`web: {listen_address: %q}
rules: {files: []}
scrape: []
probes: {by_class: {server: [], camera: []}}
`, addr)...)
	b = []byte(strings.Replace(string(b), "tickets: {rules: ",
		"tickets: {auth: {tokens: [{name: zhang, token: e-tok-0123456789ab, role: engineer}, {name: viewer, token: v-tok-0123456789ab, role: viewer}]}, rules: ", 1))
	if err := os.WriteFile(cfg, b, 0o600); err != nil {
		t.Fatal(err)
	}
	base := startCollector(t, cfg)
	if base != "http://"+addr {
		t.Fatalf("collector listens on %s, want %s", base, addr)
	}

	type inspections struct {
		Inspections []inspect.Summary `json:"inspections"`
	}
	// Without a token: exit 2, say why and how, run nothing.
	t.Setenv("ROOMWATCH_TOKEN", "")
	code, out, errs := runCLI(ctx, "inspect", "run", "daily", "--config", cfg)
	if code != 2 {
		t.Errorf("no token: exit %d, want 2\n%s%s", code, out, errs)
	}
	t.Logf("without a token:\n%s", errs)
	for _, want := range []string{"采集器正在运行", "the collector is running", "--token", "ROOMWATCH_TOKEN", base} {
		if !strings.Contains(errs, want) {
			t.Errorf("no token: stderr lacks %q:\n%s", want, errs)
		}
	}
	var l inspections
	apiGet(t, base, "/api/v1/inspections", "v-tok-0123456789ab", &l)
	if len(l.Inspections) != 0 {
		t.Fatalf("a run without a token recorded %+v", l.Inspections)
	}
	// --no-tickets cannot be honoured by the collector: said, not ignored.
	t.Setenv("ROOMWATCH_TOKEN", "e-tok-0123456789ab")
	if code, _, errs := runCLI(ctx, "inspect", "run", "daily", "--config", cfg, "--no-tickets"); code != 2 || !strings.Contains(errs, "--no-tickets cannot be honoured") {
		t.Errorf("--no-tickets: exit %d %q, want 2", code, errs)
	}
	// A wrong --token wins over the environment and is refused by the collector.
	if code, _, errs := runCLI(ctx, "inspect", "run", "daily", "--config", cfg, "--token", "bad"); code != 1 || !strings.Contains(errs, "401") {
		t.Errorf("--token bad: exit %d %q, want 1 with 401", code, errs)
	}

	// With ROOMWATCH_TOKEN: the collector runs it; the summary is printed.
	code, out, errs = runCLI(ctx, "inspect", "run", "daily", "--config", cfg)
	if code != 0 {
		t.Fatalf("with ROOMWATCH_TOKEN: exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(errs, "running the inspection there ("+base+")") {
		t.Errorf("stderr does not say the collector runs it:\n%s", errs)
	}
	var r runOut
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("summary: %v: %s", err, out)
	}
	if r.ID <= 0 || r.Status != "pending" || r.Totals.Normal != 1 || r.Totals.Abnormal != 1 || r.Totals.Pending != 1 || r.Tickets.Opened != 1 {
		t.Errorf("summary %+v, want the hot camera abnormal with a ticket opened and the walk pending", r)
	}
	// The collector's API lists the record, run by the token's user.
	apiGet(t, base, "/api/v1/inspections", "v-tok-0123456789ab", &l)
	found := false
	for _, s := range l.Inspections {
		found = found || s.ID == r.ID
	}
	if !found {
		t.Errorf("inspection %d not in the collector's list %+v", r.ID, l.Inspections)
	}
	var in inspect.Inspection
	apiGet(t, base, fmt.Sprintf("/api/v1/inspections/%d", r.ID), "v-tok-0123456789ab", &in)
	if in.Actor != "zhang" || in.Trigger != "api" || in.Totals.Abnormal != 1 {
		t.Errorf("stored run: actor %q trigger %q totals %+v, want zhang, api, 1 abnormal", in.Actor, in.Trigger, in.Totals)
	}

	// list, show and verify read the records while the collector holds them.
	code, out, errs = runCLI(ctx, "inspect", "list", "--config", cfg)
	var list []inspect.Summary
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) == 0 || list[0].ID != r.ID {
		t.Errorf("list while serving: exit %d %s%s", code, out, errs)
	}
	code, out, errs = runCLI(ctx, "inspect", "show", fmt.Sprint(r.ID), "--config", cfg)
	var shown inspect.Inspection
	if code != 0 || json.Unmarshal([]byte(out), &shown) != nil || shown.ID != r.ID || shown.Actor != "zhang" {
		t.Errorf("show while serving: exit %d %s%s", code, out, errs)
	}
	code, _, errs = runCLI(ctx, "inspect", "verify", "--config", cfg)
	if code != 0 || !strings.Contains(errs, "巡检记录完整") {
		t.Errorf("verify while serving: exit %d %s", code, errs)
	}
}

func TestProgressPrinter(t *testing.T) {
	t.Parallel()
	clk := clockwork.NewFakeClock()
	var b bytes.Buffer
	p := &progressPrinter{w: &b, clock: clk, every: time.Second}
	steps := []struct {
		advance time.Duration
		done    int
		printed bool
	}{
		{0, 1, true},                       // the first step always
		{300 * time.Millisecond, 2, false}, // too soon
		{800 * time.Millisecond, 3, true},  // a second since the last line
		{100 * time.Millisecond, 4, true},  // the last step always
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		before := b.Len()
		p.report(inspect.Progress{Template: "daily", Items: 4, ItemsDone: s.done, Checks: 400, ChecksDone: s.done * 100, Devices: 100})
		if got := b.Len() > before; got != s.printed {
			t.Errorf("step %d: printed %v, want %v", s.done, got, s.printed)
		}
	}
	if !strings.Contains(b.String(), "巡检 daily: 4/4 项, 400/400 检查 (100 台设备/站点)") {
		t.Errorf("progress output %q", b.String())
	}
}

// changePassword changes an account's password as its user would in the console.
func changePassword(t *testing.T, dataDir, name, old, nw string) {
	t.Helper()
	st, err := accounts.Open(context.Background(), accounts.Options{Path: filepath.Join(dataDir, accounts.FileName)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.ChangePassword(context.Background(), name, old, nw, "test"); err != nil {
		t.Fatal(err)
	}
}
