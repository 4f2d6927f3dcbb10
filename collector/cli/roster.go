package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/roster"
)

// runRoster is `roomwatch-collector roster show | override add|list|remove`:
// the duty roster (值班表) through a running collector's API, with the
// tickets command's --url and --token. Exit 0 on success, 1 when the API
// or the connection fails, 2 on a usage error.
func runRoster(ctx context.Context, env Env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		rosterUsage(env.Stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch {
	case args[0] == "show":
		return rosterShow(ctx, env, args[1:])
	case args[0] == "override" && len(args) > 1 && args[1] == "add":
		return rosterOverrideAdd(ctx, env, args[2:])
	case args[0] == "override" && len(args) > 1 && args[1] == "list":
		return rosterOverrideList(ctx, env, args[2:])
	case args[0] == "override" && len(args) > 1 && args[1] == "remove":
		return rosterOverrideRemove(ctx, env, args[2:])
	}
	fmt.Fprintf(env.Stderr, "roster: unknown subcommand %q\n\n", strings.Join(args[:min(2, len(args))], " "))
	rosterUsage(env.Stderr)
	return 2
}

func rosterUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: roomwatch-collector roster SUBCOMMAND [flags]")
	fmt.Fprintln(w, "值班表：谁在值班（每周轮班、节假日、临时调整）/ duty roster: who is on duty when")
	fmt.Fprintln(w, "\nSubcommands:")
	fmt.Fprintln(w, "  show             [--date YYYY-MM-DD] [--days N]  值班安排（默认当前班次起 7 天）")
	fmt.Fprintln(w, "  override add     --from D [--to D] --role R --user NAME[,NAME] [--reason TEXT]  临时调整（项目经理/管理员）")
	fmt.Fprintln(w, "  override list    临时调整列表")
	fmt.Fprintln(w, "  override remove  ID...  删除临时调整")
	fmt.Fprintln(w, "\nRoles: engineer (值班工程师), project_manager (项目经理), duty_operator (值班员)")
}

func rosterShow(ctx context.Context, env Env, args []string) int {
	var o ticketsOptions
	fs := newClientFlags(env, "roster", "show", "[--date YYYY-MM-DD] [--days N]", &o)
	date := fs.String("date", "", "the first shift's day (default the current shift) / 日期")
	days := fs.Int("days", 0, "how many shifts (default 1 with --date, else 7) / 天数")
	if _, err := parseFlags(fs, args); err != nil {
		return parseErr(err)
	}
	c, code := newTicketsClient(env, &o)
	if code != 0 {
		return code
	}
	q := url.Values{}
	if *days < 0 {
		fmt.Fprintln(env.Stderr, "roster show: --days must be positive")
		return 2
	}
	n := *days
	if *date != "" {
		d, err := calendar.ParseDate(*date)
		if err != nil {
			fmt.Fprintf(env.Stderr, "roster show: --date: %v\n", err)
			return 2
		}
		q.Set("from", d.String())
		if n == 0 {
			n = 1
		}
	}
	if n > 0 {
		q.Set("days", strconv.Itoa(n))
	}
	b, err := c.api.Do(ctx, "GET", "/api/v1/roster", q, "", nil)
	if err != nil {
		return c.fail(err)
	}
	if o.JSON {
		return c.raw(b)
	}
	var v roster.APIRoster
	if err := json.Unmarshal(b, &v); err != nil {
		fmt.Fprintf(env.Stderr, "roster show: answer: %v\n", err)
		return 1
	}
	header := []string{"", "日期/Date", "班次/Shift", "节假日/Holiday"}
	for _, r := range roster.Roles() {
		header = append(header, r.Chinese()+"/"+string(r))
	}
	tb := &table{header: header}
	for _, s := range v.Shifts {
		mark := ""
		if s.Current {
			mark = "*"
		}
		row := []string{mark, s.Date, s.Start.In(c.loc).Format("01-02 15:04") + "–" + s.End.In(c.loc).Format("01-02 15:04"), s.Holiday}
		for _, r := range roster.Roles() {
			row = append(row, dutyCell(s, r))
		}
		tb.add(row...)
	}
	tb.write(env.Stdout)
	fmt.Fprintf(env.Stdout, "交接班 handover %s (%s); * 当前班次 current shift\n", v.Handover, v.Timezone)
	for _, p := range v.Problems {
		state := "无此账号 no such account"
		if p.Disabled {
			state = "账号已停用 account disabled"
		}
		fmt.Fprintf(env.Stderr, "警告 / warning: %s: %s (%s)\n", p.Where, p.User, state)
	}
	return 0
}

// dutyCell is the people of role r in shift s ("张三 zhangsan, …"), with the
// override's id when one puts them there.
func dutyCell(s roster.APIShift, r roster.Role) string {
	for _, d := range s.Duty {
		if d.Role != r {
			continue
		}
		var names []string
		for _, p := range d.People {
			n := p.User
			if p.Name != "" && p.Name != p.User {
				n = p.Name + " " + p.User
			}
			if !p.Known {
				n += "(?)"
			}
			names = append(names, n)
		}
		cell := strings.Join(names, ", ")
		if d.Source == roster.FromOverride {
			if d.OverrideID != 0 {
				cell += fmt.Sprintf(" [#%d]", d.OverrideID)
			} else {
				cell += " [config]"
			}
		}
		return cell
	}
	return "—"
}

func rosterOverrideAdd(ctx context.Context, env Env, args []string) int {
	var o ticketsOptions
	fs := newClientFlags(env, "roster", "override add", "--from D [--to D] --role R --user NAME[,NAME] [--reason TEXT]", &o)
	from := fs.String("from", "", "the first shift's day, YYYY-MM-DD (required) / 开始日期")
	to := fs.String("to", "", "the last shift's day (default --from) / 结束日期")
	role := fs.String("role", string(roster.Engineer), "engineer, project_manager or duty_operator / 角色")
	users := fs.String("user", "", "account name(s), comma-separated (required) / 值班人账号")
	reason := fs.String("reason", "", "why: a major event, a swap / 原因")
	if _, err := parseFlags(fs, args); err != nil {
		return parseErr(err)
	}
	c, code := newTicketsClient(env, &o)
	if code != 0 {
		return code
	}
	in := roster.APIOverride{From: *from, To: *to, Role: roster.Role(*role), Reason: *reason}
	for _, u := range strings.Split(*users, ",") {
		if u = strings.TrimSpace(u); u != "" {
			in.Users = append(in.Users, u)
		}
	}
	var err error
	switch {
	case *from == "":
		err = errors.New("--from is required / 必须给出开始日期")
	case len(in.Users) == 0:
		err = errors.New("--user is required / 必须给出值班人")
	default:
		_, err = roster.FromAPI(in)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "roster override add: %v\n", err)
		return 2
	}
	var out roster.APIOverride
	if err := c.api.JSON(ctx, "POST", "/api/v1/roster/overrides", nil, in, &out); err != nil {
		return c.fail(err)
	}
	fmt.Fprintln(env.Stdout, out.ID)
	return 0
}

func rosterOverrideList(ctx context.Context, env Env, args []string) int {
	var o ticketsOptions
	fs := newClientFlags(env, "roster", "override list", "", &o)
	if _, err := parseFlags(fs, args); err != nil {
		return parseErr(err)
	}
	c, code := newTicketsClient(env, &o)
	if code != 0 {
		return code
	}
	b, err := c.api.Do(ctx, "GET", "/api/v1/roster/overrides", nil, "", nil)
	if err != nil {
		return c.fail(err)
	}
	if o.JSON {
		return c.raw(b)
	}
	var out struct {
		Overrides []roster.APIOverride `json:"overrides"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		fmt.Fprintf(env.Stderr, "roster override list: answer: %v\n", err)
		return 1
	}
	if len(out.Overrides) == 0 {
		fmt.Fprintln(env.Stdout, "无临时调整 / no overrides")
		return 0
	}
	tb := &table{header: []string{"ID", "从/From", "到/To", "角色/Role", "值班人/Users", "原因/Reason", "来源/Source", "创建人/By"}}
	for _, ov := range out.Overrides {
		id := "—"
		if ov.ID != 0 {
			id = strconv.FormatInt(ov.ID, 10)
		}
		tb.add(id, ov.From, ov.To, string(ov.Role), strings.Join(ov.Users, ", "), oneLine(ov.Reason), ov.Source, ov.CreatedBy)
	}
	tb.write(env.Stdout)
	return 0
}

func rosterOverrideRemove(ctx context.Context, env Env, args []string) int {
	var o ticketsOptions
	fs := newClientFlags(env, "roster", "override remove", "ID...", &o)
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
		if _, err := strconv.ParseInt(id, 10, 64); err != nil {
			fmt.Fprintf(env.Stderr, "roster override remove: %q is not an id\n", id)
			return 2
		}
		if _, err := c.api.Do(ctx, "DELETE", "/api/v1/roster/overrides/"+id, nil, "", nil); err != nil {
			return c.fail(err)
		}
		fmt.Fprintf(env.Stdout, "已删除 removed #%s\n", id)
	}
	return 0
}
