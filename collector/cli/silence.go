package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/internal/silence"
)

// runSilence is `roomwatch-collector silence add|list|expire`: maintenance
// windows (计划维护/屏蔽) through a running collector's Alertmanager-style
// silence API, with the tickets command's --url and --token. Exit 0 on
// success, 1 when the API or the connection fails, 2 on a usage error.
func runSilence(ctx context.Context, env Env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		silenceUsage(env.Stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "add":
		return silenceAdd(ctx, env, args[1:])
	case "list":
		return silenceList(ctx, env, args[1:])
	case "expire":
		return silenceExpire(ctx, env, args[1:])
	}
	fmt.Fprintf(env.Stderr, "silence: unknown subcommand %q\n\n", args[0])
	silenceUsage(env.Stderr)
	return 2
}

func silenceUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: roomwatch-collector silence SUBCOMMAND [flags]")
	fmt.Fprintln(w, "计划维护（屏蔽）：窗口内匹配的告警只记录，不开工单、不发通知 / maintenance windows: matching alerts open no ticket")
	fmt.Fprintln(w, "\nSubcommands:")
	fmt.Fprintln(w, `  add      MATCHER... --comment REASON [--duration 2h | --start T --end T]  新建维护窗口`)
	fmt.Fprintln(w, `           MATCHER is name=value, name!=value, name=~regex or name!~regex (e.g. device="core-sw-01" site=~"城关.*")`)
	fmt.Fprintln(w, "  list     [MATCHER...] [--expired | --all]  维护窗口列表")
	fmt.Fprintln(w, "  expire   ID...  提前结束维护窗口")
	fmt.Fprintln(w, "\nRun 'roomwatch-collector silence SUBCOMMAND --help' for its flags. amtool works too:")
	fmt.Fprintln(w, "  amtool --alertmanager.url=http://COLLECTOR:9120 silence add|query|expire …")
}

func silenceAdd(ctx context.Context, env Env, args []string) int {
	var o ticketsOptions
	fs := newClientFlags(env, "silence", "add", "MATCHER... --comment REASON [--duration D | --start T --end T]", &o)
	comment := fs.String("comment", "", "the reason, required / 原因（必填）")
	author := fs.String("author", os.Getenv("USER"), "who sets the window (default $USER; else the token's name) / 创建人")
	dur := fs.Duration("duration", 0, "length from --start (or now) / 时长, e.g. 2h")
	startS := fs.String("start", "", "start, RFC 3339 or YYYY-MM-DD HH:MM in --tz (default now) / 开始时间")
	endS := fs.String("end", "", "end, RFC 3339 or YYYY-MM-DD HH:MM in --tz / 结束时间")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return parseErr(err)
	}
	c, code := newTicketsClient(env, &o)
	if code != 0 {
		return code
	}
	ms, err := silence.ParseMatchers(pos)
	if err == nil && len(ms) == 0 {
		err = errors.New("at least one MATCHER is needed / 至少需要一个匹配条件")
	}
	if err == nil && strings.TrimSpace(*comment) == "" {
		err = errors.New("--comment (the reason) is required / 必须填写原因")
	}
	start := env.clock().Now()
	if err == nil && *startS != "" {
		start, err = parseWhen(*startS, c.loc)
	}
	var end time.Time
	switch {
	case err != nil:
	case *endS != "" && *dur != 0:
		err = errors.New("give --end or --duration, not both")
	case *endS != "":
		end, err = parseWhen(*endS, c.loc)
	case *dur > 0:
		end = start.Add(*dur)
	default:
		err = errors.New("--end or --duration is required / 必须给出结束时间或时长")
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "silence add: %v\n", err)
		return 2
	}
	in := silence.ToAPI(&silence.Silence{Matchers: ms, StartsAt: start, EndsAt: end, CreatedBy: *author, Comment: *comment}, start)
	in.Status, in.UpdatedAt = nil, nil
	var out struct {
		SilenceID string `json:"silenceID"`
	}
	if err := c.api.JSON(ctx, "POST", "/api/v2/silences", nil, in, &out); err != nil {
		return c.fail(err)
	}
	fmt.Fprintln(env.Stdout, out.SilenceID)
	return 0
}

func silenceList(ctx context.Context, env Env, args []string) int {
	var o ticketsOptions
	fs := newClientFlags(env, "silence", "list", "[MATCHER...] [--expired | --all]", &o)
	expired := fs.Bool("expired", false, "only windows that are over / 仅已结束")
	everything := fs.Bool("all", false, "pending, active and expired / 全部")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return parseErr(err)
	}
	c, code := newTicketsClient(env, &o)
	if code != 0 {
		return code
	}
	if _, err := silence.ParseMatchers(pos); err != nil {
		fmt.Fprintf(env.Stderr, "silence list: %v\n", err)
		return 2
	}
	q := url.Values{}
	for _, m := range pos {
		q.Add("filter", m)
	}
	b, err := c.api.Do(ctx, "GET", "/api/v2/silences", q, "", nil)
	if err != nil {
		return c.fail(err)
	}
	if o.JSON {
		return c.raw(b)
	}
	var ss []silence.APISilence
	if err := json.Unmarshal(b, &ss); err != nil {
		fmt.Fprintf(env.Stderr, "silence list: answer: %v\n", err)
		return 1
	}
	tb := &table{header: []string{"ID", "状态/State", "匹配/Matchers", "开始/Starts", "结束/Ends", "创建人/By", "原因/Reason"}}
	for i := range ss {
		st := silence.StateActive
		if ss[i].Status != nil {
			st = ss[i].Status.State
		}
		if !*everything && (st == silence.StateExpired) != *expired {
			continue
		}
		s, err := silence.FromAPI(&ss[i])
		if err != nil {
			fmt.Fprintf(env.Stderr, "silence list: %s: %v\n", ss[i].ID, err)
			return 1
		}
		start, end := s.StartsAt, s.EndsAt
		tb.add(s.ID, st.Chinese()+" "+string(st), s.MatchersString(), fmtTime(&start, c.loc), fmtTime(&end, c.loc), s.CreatedBy, oneLine(s.Comment))
	}
	if len(tb.rows) == 0 {
		fmt.Fprintln(env.Stdout, "无维护窗口 / no maintenance windows")
		return 0
	}
	tb.write(env.Stdout)
	return 0
}

func silenceExpire(ctx context.Context, env Env, args []string) int {
	var o ticketsOptions
	fs := newClientFlags(env, "silence", "expire", "ID...", &o)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return parseErr(err)
	}
	if len(pos) == 0 {
		fs.Usage()
		return 2
	}
	c, code := newTicketsClient(env, &o)
	if code != 0 {
		return code
	}
	for _, id := range pos {
		if _, err := c.api.Do(ctx, "DELETE", "/api/v2/silence/"+url.PathEscape(id), nil, "", nil); err != nil {
			return c.fail(err)
		}
		fmt.Fprintf(env.Stdout, "已结束 expired %s\n", id)
	}
	return 0
}
