package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"

	"github.com/roomwatch/roomwatch/collector"
	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
)

// runUser is `roomwatch-collector user add|list|passwd|disable|enable`: the
// console's personal accounts, managed on the collector's host (this is how
// the first admin is made, without a config edit). Passwords come only from
// standard input (--password-stdin), never from the command line. Exit 0 on
// success, 1 on a runtime failure, 2 on a usage error or refused input.
func runUser(ctx context.Context, env Env, args []string) int {
	return userMain(ctx, env, os.Stdin, args)
}

// userOptions are the flags every user subcommand has.
type userOptions struct {
	Config    string
	DataDir   string
	AuditFile string
}

func (o *userOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.Config, "config", "", "collector config file; its global.data_dir holds "+accounts.FileName+" / 配置文件")
	fs.StringVar(&o.DataDir, "data-dir", "", "the collector's data directory (overrides the config's; default ./data) / 数据目录")
	fs.StringVar(&o.AuditFile, "audit-file", "", "also append the change to this JSON-lines audit file (default the config's tickets.audit_file) / 审计日志文件")
}

// openAccounts opens the account database of the data directory of the
// config (or --data-dir). create=false refuses a data directory without one.
//
// Unlike the other stores, accounts.db may be written while a collector
// serves the directory: it is how accounts are managed on a running system
// until the console's administration page takes over, each change is one
// SQLite transaction (WAL, busy timeout), and the console reads every login
// and session from the database, so a change applies at once.
func openAccounts(ctx context.Context, o userOptions, create bool) (*accounts.Store, func(), error) {
	cfg, err := collector.LoadConfig(o.Config)
	if err != nil {
		return nil, nil, err
	}
	if o.DataDir != "" {
		cfg.Global.DataDir = o.DataDir
	}
	if o.AuditFile == "" {
		o.AuditFile = cfg.Tickets.AuditFile
	}
	dir := collector.NewDataDir(&cfg)
	path := dir.AccountsDB()
	if create {
		if err := os.MkdirAll(dir.Root, 0o750); err != nil {
			return nil, nil, fmt.Errorf("data directory: %w", err)
		}
	} else if _, err := os.Stat(path); err != nil {
		return nil, nil, fmt.Errorf("no account database at %s (add a user first, or pass --data-dir): %w", path, err)
	}
	var audit *auth.AuditFile
	var sink accounts.AuditSink
	if o.AuditFile != "" {
		var err error
		if audit, err = auth.OpenAuditFile(o.AuditFile); err != nil {
			return nil, nil, err
		}
		sink = audit
	}
	chain, err := collector.AccountsChain(&cfg, nil)
	if err != nil {
		if audit != nil {
			audit.Close()
		}
		return nil, nil, err
	}
	ao := cfg.Console.AccountOptions(path)
	ao.Audit, ao.Chain = sink, chain
	st, err := accounts.Open(ctx, ao)
	if err != nil {
		if audit != nil {
			audit.Close()
		}
		return nil, nil, err
	}
	return st, func() {
		st.Close()
		if audit != nil {
			audit.Close()
		}
	}, nil
}

func userUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: roomwatch-collector user SUBCOMMAND [flags]")
	fmt.Fprintln(w, "控制台个人账户 / the console's personal accounts")
	fmt.Fprintln(w, "\nSubcommands:")
	fmt.Fprintln(w, "  add NAME --role ROLE --password-stdin [--display-name N] [--phone P] [--email E] [--wecom ID] [--dingtalk ID] [--sites A,B]   添加用户（首次登录须改密码）")
	fmt.Fprintln(w, "  list                                  列出用户")
	fmt.Fprintln(w, "  passwd NAME --password-stdin          重置密码（下次登录须修改，现有会话结束）")
	fmt.Fprintln(w, "  disable NAME                          停用（现有会话结束）")
	fmt.Fprintln(w, "  enable NAME                           启用")
	fmt.Fprintln(w, "\nRoles: viewer (值班员), customer (甲方代表), engineer (驻场工程师), manager (项目经理), admin (系统管理员).")
	fmt.Fprintln(w, "Every subcommand takes --config FILE (its global.data_dir), --data-dir DIR (overrides it; default ./data) and --audit-file FILE.")
}

func userMain(ctx context.Context, env Env, stdin io.Reader, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		userUsage(env.Stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	verb, args := args[0], args[1:]
	var o userOptions
	fs := flag.NewFlagSet("user "+verb, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	o.register(fs)
	fs.Usage = func() { userUsage(env.Stderr); fs.PrintDefaults() }
	var (
		role, display, phone, email, wecom, dingtalk, sites string
		pwStdin                                             bool
	)
	nargs := 1
	switch verb {
	case "add":
		fs.StringVar(&role, "role", "", "viewer, customer, engineer, manager or admin / 角色")
		fs.StringVar(&display, "display-name", "", "name shown on screen / 姓名")
		fs.StringVar(&phone, "phone", "", "mobile phone / 手机")
		fs.StringVar(&email, "email", "", "e-mail / 邮箱")
		fs.StringVar(&wecom, "wecom", "", "WeCom user id / 企业微信 userid")
		fs.StringVar(&dingtalk, "dingtalk", "", "DingTalk user id / 钉钉 userid")
		fs.StringVar(&sites, "sites", "", "sites covered, comma-separated (empty: all) / 负责站点")
		fs.BoolVar(&pwStdin, "password-stdin", false, "read the initial password from standard input / 从标准输入读取初始密码")
	case "passwd":
		fs.BoolVar(&pwStdin, "password-stdin", false, "read the new password from standard input / 从标准输入读取密码")
	case "list":
		nargs = 0
	case "disable", "enable":
	default:
		fmt.Fprintf(env.Stderr, "user: unknown subcommand %q\n\n", verb)
		userUsage(env.Stderr)
		return 2
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return parseErr(err)
	}
	if len(pos) != nargs {
		fmt.Fprintf(env.Stderr, "user %s: want %d argument(s), got %d\n", verb, nargs, len(pos))
		return 2
	}
	name := ""
	if nargs == 1 {
		name = pos[0]
	}
	var password string
	if verb == "add" || verb == "passwd" {
		if !pwStdin {
			fmt.Fprintf(env.Stderr, "user %s: give the password on standard input with --password-stdin (never on the command line)\n", verb)
			return 2
		}
		if password, err = readPassword(stdin); err != nil {
			fmt.Fprintf(env.Stderr, "user %s: %v\n", verb, err)
			return 2
		}
	}
	var r auth.Role
	if verb == "add" {
		if !accounts.ValidName(name) {
			fmt.Fprintf(env.Stderr, "user add: %q: %v\n", name, accounts.ErrInvalidName)
			return 2
		}
		if r, err = auth.ParseRole(role); err != nil {
			fmt.Fprintf(env.Stderr, "user add: --role: %v\n", err)
			return 2
		}
	}
	st, done, err := openAccounts(ctx, o, verb == "add")
	if err != nil {
		fmt.Fprintf(env.Stderr, "user %s: %v\n", verb, err)
		var ce *collector.ConfigError
		if errors.As(err, &ce) {
			return 2
		}
		return 1
	}
	defer done()
	actor := cliActor()
	switch verb {
	case "add":
		var siteList []string
		for _, s := range strings.Split(sites, ",") {
			if s = strings.TrimSpace(s); s != "" {
				siteList = append(siteList, s)
			}
		}
		u, err := st.Add(ctx, accounts.NewUser{Name: name, DisplayName: display, Phone: phone, Email: email,
			WeComID: wecom, DingTalkID: dingtalk, Role: r, Sites: siteList, Password: password}, actor)
		if err != nil {
			return userFail(env, verb, err)
		}
		fmt.Fprintf(env.Stdout, "added %s (%s); the password must be changed at first login / 已添加，首次登录须修改密码\n", u.Name, u.Role)
	case "passwd":
		if err := st.ResetPassword(ctx, name, password, actor); err != nil {
			return userFail(env, verb, err)
		}
		fmt.Fprintf(env.Stdout, "password of %s reset; it must be changed at next login, and its sessions have ended / 密码已重置\n", name)
	case "disable", "enable":
		if err := st.SetDisabled(ctx, name, verb == "disable", actor); err != nil {
			return userFail(env, verb, err)
		}
		fmt.Fprintf(env.Stdout, "%sd %s\n", verb, name)
	case "list":
		us, err := st.List(ctx)
		if err != nil {
			return userFail(env, verb, err)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tDISPLAY NAME\tROLE\tSTATE\tPHONE\tE-MAIL\tSITES")
		for _, u := range us {
			state := "active"
			switch {
			case u.Disabled:
				state = "disabled"
			case u.MustChangePassword:
				state = "must-change-password"
			}
			s := strings.Join(u.Sites, ",")
			if s == "" {
				s = "(all)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, dash(u.DisplayName), u.Role, state, dash(u.Phone), dash(u.Email), s)
		}
		if err := tw.Flush(); err != nil {
			return 1
		}
	}
	return 0
}

// userFail prints err; refused input (policy, name, role) exits 2, the rest 1.
func userFail(env Env, verb string, err error) int {
	fmt.Fprintf(env.Stderr, "user %s: %v\n", verb, err)
	if errors.Is(err, accounts.ErrPolicy) || errors.Is(err, accounts.ErrInvalidName) || errors.Is(err, accounts.ErrInvalidRole) {
		return 2
	}
	return 1
}

// readPassword reads the first line of r (without its line end).
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on standard input")
	}
	return line, nil
}

// cliActor names who ran the command in the audit log: "cli:<OS user>".
func cliActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	return "cli"
}
