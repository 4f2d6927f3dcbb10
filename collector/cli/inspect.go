package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/collector"
	"github.com/roomwatch/roomwatch/collector/client"
	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/integrity"
	"github.com/roomwatch/roomwatch/internal/report"
)

const inspectUsage = `usage: roomwatch-collector inspect COMMAND [flags]
  run TEMPLATE [--config F] [--no-tickets]      run now in this process (progress on stderr); when
                                                the collector of --config is running, ask it instead
                                                (needs --token T or ROOMWATCH_TOKEN)
  run TEMPLATE --url URL --token T              ask a running collector (POST /api/v1/inspections)
  list [--template T] [--limit N]               list the records, newest first
  show ID [--html F] [--xlsx F]                 print a record as JSON, or write the check sheet
  complete ID --device D --item I --verdict V --user U [--value X] [--note N] [--photo F]
  sign ID --role engineer --user U [--title T] [--note N]
  sign ID --role customer --user ACCOUNT --password-stdin [--title T]
                                                the representative's own console account (role customer)
  verify                                        check the hash chain and the photos
Records are <data_dir>/inspections.db of the --config file.`

// inspectFlags are the flags of every inspect subcommand.
type inspectFlags struct {
	config, url, token, template       string
	html, xlsx                         string
	device, item, verdict, value, note string
	photo, user, role, title           string
	limit                              int
	noTickets, passwordStdin           bool
	timeout                            time.Duration
}

func (f *inspectFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "collector config file / 配置文件")
	fs.StringVar(&f.url, "url", "", "run on this collector (http://host:port) instead of in this process / 采集中心地址")
	fs.StringVar(&f.token, "token", os.Getenv(envTicketsToken), "API token with --url (env "+envTicketsToken+") / 令牌")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Minute, "request timeout with --url")
	fs.BoolVar(&f.noTickets, "no-tickets", false, "do not open tickets for abnormal items / 不转工单")
	fs.StringVar(&f.template, "template", "", "list: only this template")
	fs.IntVar(&f.limit, "limit", 100, "list: at most this many")
	fs.StringVar(&f.html, "html", "", "show: write the A4 check sheet (HTML) to this file")
	fs.StringVar(&f.xlsx, "xlsx", "", "show: write the check sheet workbook to this file")
	fs.StringVar(&f.device, "device", "", "complete: the row's device (site, system)")
	fs.StringVar(&f.item, "item", "", "complete: the row's item id")
	fs.StringVar(&f.verdict, "verdict", "", "complete: normal, warning, abnormal or unchecked")
	fs.StringVar(&f.value, "value", "", "complete: the measured value")
	fs.StringVar(&f.note, "note", "", "complete, sign: note / 备注")
	fs.StringVar(&f.photo, "photo", "", "complete: a JPEG or PNG photo file / 照片")
	fs.StringVar(&f.user, "user", "", "complete, sign: who (name) / 检查人、签字人")
	fs.StringVar(&f.role, "role", "", "sign: engineer (巡检工程师) or customer (甲方代表)")
	fs.StringVar(&f.title, "title", "", "sign: the signer's position, e.g. 科长")
	fs.BoolVar(&f.passwordStdin, "password-stdin", false, "sign --role customer: the representative's console password, from standard input / 甲方代表的控制台密码")
}

// runInspect is `roomwatch-collector inspect run|list|show|complete|sign|verify`.
func runInspect(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var f inspectFlags
	f.register(fs)
	usage := func() int {
		fmt.Fprintln(env.Stderr, inspectUsage)
		return 2
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usage()
	}
	sub, rest := args[0], args[1:]
	var pos []string
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		rest = fs.Args()
		if len(rest) > 0 {
			pos, rest = append(pos, rest[0]), rest[1:]
		}
	}
	want := map[string]int{"run": 1, "list": 0, "show": 1, "complete": 1, "sign": 1, "verify": 0}
	n, ok := want[sub]
	if !ok || len(pos) != n {
		return usage()
	}
	if sub == "run" && f.url != "" {
		if f.noTickets {
			fmt.Fprintln(env.Stderr, "inspect run: --no-tickets 只能在本进程执行时使用 / --no-tickets works only in this process, not with --url (the collector opens tickets as its config says)")
			return 2
		}
		return inspectRemote(ctx, env, &f, pos[0])
	}
	cfg, cleanup, code := loadConfig(env, f.config)
	defer cleanup()
	if code != 0 {
		return code
	}
	// run, complete and sign write to the data directory: they take its
	// lock, so they are refused while a collector serves it (run then goes
	// through that collector). list, show and verify only read.
	so := collector.StoresOptions{Mode: collector.ReadOnly, Command: "inspect " + sub, NoTSDB: sub != "run"}
	if sub == "run" || sub == "complete" || sub == "sign" {
		so.Mode = collector.ReadWrite
	}
	st, err := collector.OpenStores(ctx, cfg, so)
	var locked *collector.LockedError
	switch {
	case errors.As(err, &locked) && sub == "run":
		return inspectThroughCollector(ctx, env, &f, locked, pos[0])
	case errors.As(err, &locked):
		fmt.Fprintf(env.Stderr, "错误 / error: %v\n采集器运行时，请在控制台或通过其接口操作 / while the collector runs, %s through the console or its API (POST /api/v1/inspections/{id}/%s)\n", err, sub, sub)
		return 1
	case err != nil:
		fmt.Fprintf(env.Stderr, "错误 / error: %v\n", err)
		return 1
	}
	defer st.Close()
	if st.Inspections == nil {
		fmt.Fprintf(env.Stderr, "错误 / error: no inspection records at %s\n", st.Dir.InspectionsDB())
		return 1
	}
	c := &inspectCmd{env: env, f: &f, cfg: cfg, st: st, recs: st.Inspections, query: st.Metrics}
	var id int64
	if n == 1 && sub != "run" {
		if id, err = strconv.ParseInt(pos[0], 10, 64); err != nil || id <= 0 {
			fmt.Fprintf(env.Stderr, "inspect %s: %q is not an inspection id\n", sub, pos[0])
			return 2
		}
	}
	switch sub {
	case "run":
		err = c.run(ctx, pos[0])
	case "list":
		err = c.list(ctx)
	case "show":
		err = c.show(ctx, id)
	case "complete":
		err = c.complete(ctx, id)
	case "sign":
		err = c.sign(ctx, id)
	case "verify":
		err = c.verify(ctx)
	}
	if err != nil {
		var u usageError
		if errors.As(err, &u) {
			fmt.Fprintf(env.Stderr, "inspect %s: %v\n", sub, err)
			return 2
		}
		fmt.Fprintf(env.Stderr, "错误 / error: %v\n", err)
		return 1
	}
	return 0
}

type usageError string

func (u usageError) Error() string { return string(u) }

type inspectCmd struct {
	env   Env
	f     *inspectFlags
	cfg   *collector.Config
	st    *collector.Stores
	recs  *inspect.Store
	query inspect.Querier // run: the metrics
}

func (c *inspectCmd) out() *json.Encoder {
	e := json.NewEncoder(c.env.Stdout)
	e.SetIndent("", "  ")
	return e
}

func (c *inspectCmd) run(ctx context.Context, name string) error {
	templates, err := inspect.LoadDir(c.cfg.Inspections.TemplatesDir())
	if err != nil {
		return err
	}
	var tmpl *inspect.Template
	for _, t := range templates {
		if t.Name == name {
			tmpl = t
		}
	}
	if tmpl == nil {
		return fmt.Errorf("no template %q in %s", name, c.cfg.Inspections.TemplatesDir())
	}
	log := slog.New(slog.NewTextHandler(c.env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	loc, _ := c.cfg.Location()
	clk := c.env.clock()
	pp := &progressPrinter{w: c.env.Stderr, clock: clk, every: time.Second}
	o := inspect.Options{Querier: c.query, Inventory: &c.cfg.Inventory, Store: c.recs, Location: loc, Clock: clk,
		Logger: log, Progress: pp.report}
	if svc := c.st.TicketService(); svc != nil && !c.f.noTickets {
		o.Intake = svc
	}
	runner, err := inspect.NewRunner(o)
	if err != nil {
		return err
	}
	in, err := runner.Run(ctx, tmpl, inspect.RunOptions{Trigger: "cli", Actor: os.Getenv("USER")})
	if err != nil {
		return err
	}
	return c.out().Encode(runSummary(in))
}

// inspectThroughCollector runs the template on the collector that holds the
// TSDB, through its API at web.listen_address, exactly as --url does.
//
// Asking the running collector (rather than evaluating here with its query
// API as the querier, as `report` does) keeps one writer for inspections.db
// and the ticket store, one ticket pipeline (de-duplication, SLA clocks,
// notifications) and one set of templates: the run is the collector's own,
// recorded with the token's user as actor and trigger "api".
func inspectThroughCollector(ctx context.Context, env Env, f *inspectFlags, locked *collector.LockedError, name string) int {
	if locked.Holder.Listen == "" {
		fmt.Fprintf(env.Stderr, "inspect run: %v; pass --url http://host:port\n", locked)
		return 1
	}
	api := "http://" + collector.LoopbackAddr(locked.Holder.Listen)
	who := locked.Holder.String()
	if f.noTickets {
		fmt.Fprintf(env.Stderr, "inspect run: 采集器正在运行（%[1]s），巡检只能由它执行，而它按配置转工单，不能使用 --no-tickets。\n"+
			"the collector is running (%[1]s), so the inspection must run there, and it opens tickets as its config says: --no-tickets cannot be honoured; stop the collector or drop the flag\n", who)
		return 2
	}
	if f.token == "" {
		fmt.Fprintf(env.Stderr, "inspect run: 采集器正在运行（%[1]s），巡检须通过其接口 %[2]s 执行，需要令牌：请加 --token 令牌，或设置环境变量 %[3]s（工程师或以上角色，见 auth.tokens）。\n"+
			"the collector is running (%[1]s), so the inspection must run through its API at %[2]s, which needs a token: pass --token T or set %[3]s (engineer role or above, from auth.tokens)\n",
			who, api, envTicketsToken)
		return 2
	}
	fmt.Fprintf(env.Stderr, "数据目录被运行中的采集器占用，改由其执行 the data directory is held by a running collector (%s); running the inspection there (%s)\n", who, api)
	rf := *f
	rf.url = api
	return inspectRemote(ctx, env, &rf, name)
}

func runSummary(in *inspect.Inspection) map[string]any {
	return map[string]any{"id": in.ID, "template": in.Template, "status": in.Status, "totals": in.Totals, "tickets": in.Tickets}
}

// progressPrinter writes a run's progress at most every `every` (on its
// clock), and always the last step.
type progressPrinter struct {
	w     io.Writer
	clock clockwork.Clock
	every time.Duration
	last  time.Time
}

func (p *progressPrinter) report(pr inspect.Progress) {
	now := p.clock.Now()
	if pr.ItemsDone < pr.Items && !p.last.IsZero() && now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	fmt.Fprintf(p.w, "巡检 %s: %d/%d 项, %d/%d 检查 (%d 台设备/站点)\n", pr.Template, pr.ItemsDone, pr.Items, pr.ChecksDone, pr.Checks, pr.Devices)
}

func (c *inspectCmd) list(ctx context.Context) error {
	l, err := c.recs.List(ctx, inspect.Filter{Template: c.f.template, Limit: c.f.limit})
	if err != nil {
		return err
	}
	if l == nil {
		l = []inspect.Summary{}
	}
	return c.out().Encode(l)
}

func (c *inspectCmd) show(ctx context.Context, id int64) error {
	in, err := c.recs.Get(ctx, id)
	if err != nil {
		return err
	}
	loc, _ := c.cfg.Location()
	so := report.SheetOptions{Bureau: c.cfg.Global.Bureau, Location: loc}
	seq, hash, err := c.recs.Head(ctx)
	if err != nil {
		return err
	}
	so.Anchors = []report.Anchor{{Chain: integrity.ChainInspections, Seq: seq, Hash: hash}}
	wrote := false
	for _, w := range []struct {
		path  string
		write func(io.Writer, *inspect.Inspection, report.SheetOptions) error
	}{{c.f.html, report.WriteHTML}, {c.f.xlsx, report.WriteExcel}} {
		if w.path == "" {
			continue
		}
		var buf bytes.Buffer
		if err := w.write(&buf, in, so); err != nil {
			return err
		}
		if err := os.WriteFile(w.path, buf.Bytes(), 0o640); err != nil {
			return err
		}
		fmt.Fprintf(c.env.Stderr, "已写入 wrote %s\n", w.path)
		wrote = true
	}
	if wrote {
		return nil
	}
	return c.out().Encode(in)
}

func (c *inspectCmd) complete(ctx context.Context, id int64) error {
	f := c.f
	if f.device == "" || f.item == "" || f.verdict == "" || f.user == "" {
		return usageError("--device, --item, --verdict and --user are required")
	}
	comp := inspect.Completion{Device: f.device, Item: f.item, Verdict: inspect.Verdict(f.verdict), Note: f.note, User: f.user, Role: inspect.RoleEngineer}
	if f.value != "" {
		v, err := strconv.ParseFloat(f.value, 64)
		if err != nil {
			return usageError("--value: " + err.Error())
		}
		comp.Value = &v
	}
	if f.photo != "" {
		fh, err := os.Open(f.photo)
		if err != nil {
			return err
		}
		name, err := inspect.SavePhoto(c.st.Dir.PhotoDir(), fh, 0)
		fh.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", f.photo, err)
		}
		comp.Photo = name
	}
	in, err := c.recs.Complete(ctx, id, comp, c.env.clock().Now())
	if err != nil {
		return err
	}
	return c.out().Encode(map[string]any{"id": in.ID, "status": in.Status, "totals": in.Totals, "photo": comp.Photo})
}

func (c *inspectCmd) sign(ctx context.Context, id int64) error {
	f := c.f
	if f.role == "" || f.user == "" {
		return usageError("--role and --user are required")
	}
	who := f.user
	if f.role == inspect.RoleCustomer {
		// The countersignature proves the bureau's acceptance only if the
		// representative gave it: it needs the representative's own
		// account and password, never a name taken on trust.
		name, err := c.customerCredentials(ctx)
		if err != nil {
			return err
		}
		who = name
	}
	in, err := c.recs.Sign(ctx, id, inspect.Signature{Role: f.role, User: who, Title: f.title, Note: f.note, At: c.env.clock().Now()})
	if err != nil {
		return err
	}
	return c.out().Encode(map[string]any{"id": in.ID, "status": in.Status, "signatures": in.Signatures})
}

func (c *inspectCmd) verify(ctx context.Context) error {
	res, err := c.recs.Verify(ctx)
	if err != nil {
		return err
	}
	n, problems, err := c.recs.VerifyPhotos(ctx, c.st.Dir.PhotoDir())
	if err != nil {
		return err
	}
	_ = c.out().Encode(map[string]any{"chain": res, "photos_checked": n, "photo_problems": problems})
	if !res.OK {
		return fmt.Errorf("巡检记录校验失败 chain broken at record %d (inspection %d, %s): %s", res.BadSeq, res.BadInspection, res.BadKind, res.Reason)
	}
	if len(problems) > 0 {
		return fmt.Errorf("巡检照片校验失败 photo %s of inspection %d: %s", problems[0].Photo, problems[0].Inspection, problems[0].Reason)
	}
	fmt.Fprintf(c.env.Stderr, "巡检记录完整 %d records and %d photos verified, head %s\n", res.Entries, n, res.Head)
	return nil
}

// inspectRemote asks a running collector to run a template.
func inspectRemote(ctx context.Context, env Env, f *inspectFlags, name string) int {
	api, err := client.New(client.Options{URL: f.url, Token: f.token, Timeout: f.timeout})
	if err != nil {
		fmt.Fprintf(env.Stderr, "inspect run: --url %v\n", err)
		return 2
	}
	fmt.Fprintf(env.Stderr, "巡检 %s: 已请求 %s 执行 / asked %s to run it\n", name, api.Base(), api.Base())
	var in inspect.Inspection
	if err := api.JSON(ctx, http.MethodPost, "/api/v1/inspections", nil, map[string]string{"template": name}, &in); err != nil {
		return failAPI(env, api, err)
	}
	e := json.NewEncoder(env.Stdout)
	e.SetIndent("", "  ")
	_ = e.Encode(runSummary(&in))
	return 0
}

// errCustomerCredentials: a countersignature without the representative's credentials.
var errCustomerCredentials = errors.New("the customer's countersignature (甲方代表) needs the representative's own console account: " +
	"--user NAME --password-stdin (role customer), or countersign in the console (/inspections/ID)")

// customerCredentials checks --user and the password on standard input
// against the console's accounts (a login, audited like one, then a
// logout) and returns the name the signature records.
func (c *inspectCmd) customerCredentials(ctx context.Context) (string, error) {
	if !c.f.passwordStdin {
		return "", usageError(errCustomerCredentials.Error())
	}
	in := c.env.Stdin
	if in == nil {
		in = os.Stdin
	}
	pw, err := readPassword(in)
	if err != nil {
		return "", err
	}
	path := c.st.Dir.AccountsDB()
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("%w (no account database at %s)", errCustomerCredentials, path)
	}
	ao := accounts.Options{Path: path, Chain: c.st.Chain}
	if f := c.cfg.Tickets.AuditFile; f != "" {
		audit, err := auth.OpenAuditFile(f)
		if err != nil {
			return "", err
		}
		defer audit.Close()
		ao.Audit = audit
	}
	st, err := accounts.Open(ctx, ao)
	if err != nil {
		return "", err
	}
	defer st.Close()
	sess, err := st.Login(ctx, c.f.user, pw, "cli")
	if err != nil {
		return "", fmt.Errorf("countersign: %w", err)
	}
	_ = st.Logout(ctx, sess.Token, "cli")
	u := sess.User
	if u.Role != auth.RoleCustomer && u.Role != auth.RoleAdmin {
		return "", fmt.Errorf("countersign: account %q has role %s; the customer's countersignature needs role customer", u.Name, u.Role)
	}
	if u.MustChangePassword {
		return "", fmt.Errorf("countersign: account %q still has its initial password; change it in the console first", u.Name)
	}
	if u.DisplayName == "" || u.DisplayName == u.Name {
		return u.Name, nil
	}
	return u.DisplayName + " (" + u.Name + ")", nil
}
