package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/collector/client"
	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/api"
)

// Defaults of the tickets subcommand.
const (
	defaultTicketsURL = "http://127.0.0.1:9120"
	envTicketsURL     = "ROOMWATCH_URL"
	envTicketsToken   = "ROOMWATCH_TOKEN"
)

// ticketVerbs are the tickets subcommands in usage order; every one but list
// and show is an action POSTed to /api/v1/tickets/{id}/{action}.
func ticketVerbs() []struct{ name, summary string } {
	return []struct{ name, summary string }{
		{"list", "list tickets / 工单列表"},
		{"show", "show one ticket with its timers and history / 工单详情"},
		{"ack", "acknowledge / 确认(响应)"},
		{"dispatch", "dispatch (--to ASSIGNEE) / 派单"},
		{"create", "register a fault reported by phone, e-mail or in person (--title, --level) / 人工报修登记"},
		{"onsite", "engineer on site / 到场"},
		{"diagnose", "submit the diagnosis (--text) / 故障判断"},
		{"plan", "submit the plan (--text, --attachment; --emergency for the emergency or second plan) / 提交方案"},
		{"spare", "a spare is in place (--part-id of a registered part, or --part …) / 备件替换"},
		{"pause", "pause the pausable timers (--reason, --agreed-by) / 挂起"},
		{"resume", "end the pause / 恢复计时"},
		{"recover", "service recovered / 恢复"},
		{"resolve", "resolve (--cause and --fix required) / 解决"},
		{"report", "submit the fault report (--text, --attachment) / 故障报告"},
		{"confirm", "the customer accepts the fix (--by the customer's person) / 用户确认"},
		{"reject", "the customer rejects the fix: reopens (--note why) / 用户驳回"},
		{"followup", "follow-up (--satisfaction 1-5, --note comment) / 回访"},
		{"close", "close / 关闭"},
		{"reopen", "reopen (manager) / 重开"},
		{"cancel", "cancel (manager) / 撤销"},
		{"note", "add a note (--note) / 备注"},
		{"part", "record a replaced spare part (--part, --serial, --location, --cause) / 备件更换"},
		{"repair_out", "send the failed unit for repair (--kind local|factory; --part-id, or --part …) / 送修、返厂"},
		{"repair_back", "the unit is back from repair / 维修返回"},
		{"repair_report", "the factory repair was reported to the bureau (--note what, to whom) / 返厂报业主确认"},
		{"complain", "file a complaint (--text, --contact, --ticket ID) / 投诉"},
		{"complaints", "list complaints (--open, --ticket ID) / 投诉列表"},
		{"answer", "answer a complaint (ID --reply; manager) / 答复投诉"},
		{"close-complaint", "close an answered complaint (ID; manager) / 关闭投诉"},
	}
}

// ticketsOptions are the flags shared by every tickets subcommand.
type ticketsOptions struct {
	URL     string
	Token   string
	JSON    bool
	TZ      string
	Timeout time.Duration
}

func (o *ticketsOptions) register(fs *flag.FlagSet) {
	u := defaultTicketsURL
	if v, ok := os.LookupEnv(envTicketsURL); ok && v != "" {
		u = v
	}
	fs.StringVar(&o.URL, "url", u, "collector base URL (env "+envTicketsURL+") / 采集中心地址")
	fs.StringVar(&o.Token, "token", os.Getenv(envTicketsToken), "API bearer token (env "+envTicketsToken+") / 令牌")
	fs.BoolVar(&o.JSON, "json", false, "print the API's raw JSON / 输出原始 JSON")
	fs.StringVar(&o.TZ, "tz", calendar.DefaultZone, "time zone for displayed times / 显示时区")
	fs.DurationVar(&o.Timeout, "timeout", 30*time.Second, "request timeout / 请求超时")
}

// runTickets is `roomwatch-collector tickets VERB ...`: a client of a running
// collector's ticket REST API. Exit 0 on success, 1 when the API or the
// connection fails (the error is printed in full), 2 on a usage error.
func runTickets(ctx context.Context, env Env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		ticketsUsage(env.Stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	verb, args := args[0], args[1:]
	switch verb {
	case "list":
		return ticketsList(ctx, env, args)
	case "show":
		return ticketsShow(ctx, env, args)
	case "create":
		return ticketsCreate(ctx, env, args)
	case "complain", "complaints", "answer", "close-complaint":
		return runComplaints(ctx, env, verb, args)
	}
	if _, err := tickets.ParseAction(verb); err != nil {
		fmt.Fprintf(env.Stderr, "tickets: unknown subcommand %q\n\n", verb)
		ticketsUsage(env.Stderr)
		return 2
	}
	return ticketsAction(ctx, env, tickets.Action(verb), args)
}

func ticketsUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: roomwatch-collector tickets SUBCOMMAND [flags]")
	fmt.Fprintln(w, "工单命令行：连接运行中的采集中心 REST API / ticket client for a running collector")
	fmt.Fprintln(w, "\nSubcommands:")
	for _, v := range ticketVerbs() {
		fmt.Fprintf(w, "  %-9s %s\n", v.name, v.summary)
	}
	fmt.Fprintln(w, "\nRun 'roomwatch-collector tickets SUBCOMMAND --help' for its flags.")
}

// newTicketsFlags returns a flag set with the shared flags.
func newTicketsFlags(env Env, verb, usage string, o *ticketsOptions) *flag.FlagSet {
	return newClientFlags(env, "tickets", verb, usage, o)
}

// newClientFlags returns the flag set of `roomwatch-collector command verb`,
// a client of the running collector's API, with the shared flags.
func newClientFlags(env Env, command, verb, usage string, o *ticketsOptions) *flag.FlagSet {
	fs := flag.NewFlagSet(command+" "+verb, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	o.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: roomwatch-collector "+command+" "+verb+" "+usage)
		fs.PrintDefaults()
	}
	return fs
}

// decodeTicket reads one ticket from the API's answer.
func decodeTicket(raw []byte) (api.Ticket, error) {
	var t api.Ticket
	if err := json.Unmarshal(raw, &t); err != nil || t.Ticket == nil {
		return t, fmt.Errorf("decode the API's answer: %v", err)
	}
	return t, nil
}

// parseFlags parses args allowing flags after positional arguments
// (`tickets ack 12 --note x`); it returns the positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// parseErr turns a flag error into an exit code.
func parseErr(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

func ticketsList(ctx context.Context, env Env, args []string) int {
	var o ticketsOptions
	fs := newTicketsFlags(env, "list", "[--state S[,S]] [--level L] [--site S] [--device D] [--from T] [--to T] [--limit N]", &o)
	state := fs.String("state", "", "states, comma-separated (open, acknowledged, …) / 状态")
	level := fs.String("level", "", "fault level I..IV / 故障等级")
	site := fs.String("site", "", "site / 站点")
	device := fs.String("device", "", "device / 设备")
	from := fs.String("from", "", "opened at or after (RFC 3339 or YYYY-MM-DD) / 开单起")
	to := fs.String("to", "", "opened before (RFC 3339 or YYYY-MM-DD) / 开单止")
	limit := fs.Int("limit", 0, "at most this many (server default 100) / 条数")
	offset := fs.Int("offset", 0, "skip this many / 偏移")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return parseErr(err)
	}
	if len(pos) > 0 {
		fs.Usage()
		return 2
	}
	q := url.Values{}
	for k, v := range map[string]string{"state": *state, "level": *level, "site": *site, "device": *device, "from": *from, "to": *to} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if *limit > 0 {
		q.Set("limit", strconv.Itoa(*limit))
	}
	if *offset > 0 {
		q.Set("offset", strconv.Itoa(*offset))
	}
	c, code := newTicketsClient(env, &o)
	if c == nil {
		return code
	}
	raw, err := c.do(ctx, http.MethodGet, "/api/v1/tickets", q, nil)
	if err != nil {
		return c.fail(err)
	}
	if o.JSON {
		return c.raw(raw)
	}
	var out struct {
		Tickets []api.Ticket `json:"tickets"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return c.fail(fmt.Errorf("decode the API's answer: %w", err))
	}
	writeTicketList(env.Stdout, out.Tickets, c.loc)
	return 0
}

func ticketsShow(ctx context.Context, env Env, args []string) int {
	var o ticketsOptions
	fs := newTicketsFlags(env, "show", "ID", &o)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return parseErr(err)
	}
	id, ok := ticketID(env, fs, pos)
	if !ok {
		return 2
	}
	c, code := newTicketsClient(env, &o)
	if c == nil {
		return code
	}
	raw, err := c.do(ctx, http.MethodGet, "/api/v1/tickets/"+id, nil, nil)
	if err != nil {
		return c.fail(err)
	}
	if o.JSON {
		return c.raw(raw)
	}
	t, err := decodeTicket(raw)
	if err != nil {
		return c.fail(err)
	}
	writeTicket(env.Stdout, t, c.loc)
	return 0
}

func ticketsAction(ctx context.Context, env Env, act tickets.Action, args []string) int {
	var o ticketsOptions
	fs := newTicketsFlags(env, string(act), "ID [flags]", &o)
	note := fs.String("note", "", "note recorded with the action / 备注")
	by := fs.String("by", "", "who did the work on site, when not the token's owner (stored as its own field; the actor stays the token's owner) / 经办人")
	at := fs.String("at", "", "when it happened if earlier than now (RFC 3339, or 'YYYY-MM-DD HH:MM' in --tz) / 发生时间")
	var assignee, cause, fix *string
	var part *tickets.Part
	var req tickets.ActionRequest
	switch act {
	case tickets.ActionDiagnose:
		fs.StringVar(&req.Text, "text", "", "the diagnosis (required) / 故障判断")
	case tickets.ActionPlan, tickets.ActionReport:
		fs.StringVar(&req.Text, "text", "", "the plan (required for plan) or the report's summary / 方案或报告内容")
		fs.StringVar(&req.Attachment, "attachment", "", "a document that goes with it (file name or link) / 附件")
		if act == tickets.ActionPlan {
			fs.BoolVar(&req.Emergency, "emergency", false, "the emergency or second plan (应急方案 / 第二解决方案)")
		}
	case tickets.ActionSpare:
		fs.Int64Var(&req.PartID, "part-id", 0, "number of a part registered on the ticket (see show) / 已登记备件编号")
		part = &tickets.Part{}
		fs.StringVar(&part.Part, "part", "", "or register the part now: the replaced part / 备件名称")
		fs.StringVar(&part.Serial, "serial", "", "serial number of the new part / 序列号")
		fs.StringVar(&part.Location, "location", "", "where it was fitted (room, rack, slot) / 安装位置")
		fs.StringVar(&part.Cause, "cause", "", "why it was replaced / 更换原因")
	case tickets.ActionRepairOut:
		fs.StringVar((*string)(&req.RepairKind), "kind", "", "local (送修, back in 2 days) or factory (返厂, 5 working days) (required) / 维修方式")
		fs.Int64Var(&req.PartID, "part-id", 0, "number of the failed unit registered on the ticket (see show) / 已登记部件编号")
		part = &tickets.Part{}
		fs.StringVar(&part.Part, "part", "", "or register the failed unit now / 部件名称")
		fs.StringVar(&part.Serial, "serial", "", "serial number / 序列号")
		fs.StringVar(&part.Location, "location", "", "where it was installed / 安装位置")
		fs.StringVar(&part.Cause, "cause", "", "the fault / 故障原因")
	case tickets.ActionFollowUp:
		fs.IntVar(&req.Satisfaction, "satisfaction", 0, "the customer's satisfaction 1-5 (required); --note is the comment / 满意度")
	case tickets.ActionPause:
		fs.StringVar(&req.Reason, "reason", "", "why: the customer's consent, site access, a vendor part (required) / 挂起原因")
		fs.StringVar(&req.AgreedBy, "agreed-by", "", "who on the customer's side agreed (required) / 同意人")
	case tickets.ActionDispatch:
		assignee = fs.String("to", "", "assignee / 派给")
	case tickets.ActionResolve:
		cause = fs.String("cause", "", "fault cause (required) / 故障原因")
		fix = fs.String("fix", "", "what fixed it (required) / 处理方法")
	case tickets.ActionPart:
		part = &tickets.Part{}
		fs.StringVar(&part.Part, "part", "", "the replaced part (required) / 备件名称")
		fs.StringVar(&part.Serial, "serial", "", "serial number of the new part / 序列号")
		fs.StringVar(&part.Location, "location", "", "where it was fitted (room, rack, slot) / 安装位置")
		fs.StringVar(&part.Cause, "cause", "", "why it was replaced / 更换原因")
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return parseErr(err)
	}
	id, ok := ticketID(env, fs, pos)
	if !ok {
		return 2
	}
	if act == tickets.ActionPart && strings.TrimSpace(part.Part) == "" {
		fmt.Fprintln(env.Stderr, "tickets part: --part is required / 请填写备件名称 (--part)")
		fs.Usage()
		return 2
	}
	if (act == tickets.ActionSpare || act == tickets.ActionRepairOut) && part.Part == "" && part.Serial == "" && part.Location == "" && part.Cause == "" {
		part = nil
	}
	// The server checks the fields each action requires and answers 400
	// with the reason, printed in full.
	req.Note, req.By, req.Part = *note, strings.TrimSpace(*by), part
	c, code := newTicketsClient(env, &o)
	if c == nil {
		return code
	}
	if assignee != nil {
		req.Assignee = *assignee
	}
	if cause != nil {
		req.Cause, req.Fix = *cause, *fix
	}
	if *at != "" {
		t, err := parseWhen(*at, c.loc)
		if err != nil {
			fmt.Fprintf(env.Stderr, "tickets %s: --at: %v\n", act, err)
			return 2
		}
		req.At = &t
	}
	body, err := json.Marshal(req)
	if err != nil {
		return c.fail(err)
	}
	raw, err := c.do(ctx, http.MethodPost, "/api/v1/tickets/"+id+"/"+string(act), nil, body)
	if err != nil {
		return c.fail(err)
	}
	if o.JSON {
		return c.raw(raw)
	}
	t, err := decodeTicket(raw)
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(env.Stdout, "工单/Ticket #%d %s: %s %s\n", t.ID, act, t.StateZH, t.State)
	writeTicketList(env.Stdout, []api.Ticket{t}, c.loc)
	return 0
}

func ticketID(env Env, fs *flag.FlagSet, pos []string) (string, bool) {
	if len(pos) != 1 {
		fs.Usage()
		return "", false
	}
	id := strings.TrimPrefix(pos[0], "#")
	if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
		fmt.Fprintf(env.Stderr, "%s: ticket id %q: want a positive number / 工单编号应为正整数\n", fs.Name(), pos[0])
		return "", false
	}
	return id, true
}

// parseWhen accepts RFC 3339 or "YYYY-MM-DD HH:MM[:SS]" in loc.
func parseWhen(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want RFC 3339 or YYYY-MM-DD HH:MM", s)
}

// ticketsClient talks to the ticket API.
type ticketsClient struct {
	env Env
	api *client.Client
	loc *time.Location
}

func newTicketsClient(env Env, o *ticketsOptions) (*ticketsClient, int) {
	api, err := client.New(client.Options{URL: o.URL, Token: o.Token, Timeout: o.Timeout})
	if err != nil {
		fmt.Fprintf(env.Stderr, "tickets: --url %v\n", err)
		return nil, 2
	}
	loc, err := time.LoadLocation(o.TZ)
	if err != nil {
		fmt.Fprintf(env.Stderr, "tickets: --tz %q: %v\n", o.TZ, err)
		return nil, 2
	}
	return &ticketsClient{env: env, api: api, loc: loc}, 0
}

func (c *ticketsClient) do(ctx context.Context, method, path string, q url.Values, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	return c.api.Do(ctx, method, path, q, "", rd)
}

func (c *ticketsClient) fail(err error) int {
	return failAPI(c.env, c.api, err)
}

// failAPI prints an API or connection error, with a hint when a token is
// missing, and returns exit code 1.
func failAPI(env Env, api *client.Client, err error) int {
	fmt.Fprintf(env.Stderr, "错误 / error: %v\n", err)
	if client.IsStatus(err, http.StatusUnauthorized) && !api.HasToken() {
		fmt.Fprintf(env.Stderr, "提示 / hint: pass --token or set %s\n", envTicketsToken)
	}
	return 1
}

func (c *ticketsClient) raw(b []byte) int {
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		c.env.Stdout.Write(b)
		return 0
	}
	buf.WriteByte('\n')
	c.env.Stdout.Write(buf.Bytes())
	return 0
}
