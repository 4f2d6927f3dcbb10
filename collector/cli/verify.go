package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"

	"github.com/roomwatch/roomwatch/collector"
	"github.com/roomwatch/roomwatch/internal/integrity"
)

// headsFlag collects --head, repeatable.
type headsFlag []string

func (h *headsFlag) String() string     { return strings.Join(*h, ",") }
func (h *headsFlag) Set(v string) error { *h = append(*h, v); return nil }

// runVerify checks the hash chains of the inspection records, ticket events,
// ticket audit log and accounts.db's audit table, and that each stated head (as printed on a check sheet or
// monthly report) is still a record of its chain.
func runVerify(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfgPath := fs.String("config", "", "collector config file / 配置文件")
	var heads headsFlag
	fs.Var(&heads, "head", "a chain head printed on a check sheet or monthly report (at least 16 hex digits); repeatable / 报表上的链头")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "verify: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cfg, cleanup, code := loadConfig(env, *cfgPath)
	defer cleanup()
	if code != 0 {
		return code
	}
	st, err := collector.OpenStores(ctx, cfg, collector.StoresOptions{Mode: collector.ReadOnly, Command: "verify", NoTSDB: true})
	if err != nil {
		fmt.Fprintf(env.Stderr, "错误 / error: %v\n", err)
		return 1
	}
	defer st.Close()
	reports, err := st.VerifyChains(ctx)
	if err != nil {
		fmt.Fprintf(env.Stderr, "错误 / error: %v\n", err)
		return 1
	}
	type headResult struct {
		Head   string `json:"head"`
		Chain  string `json:"chain,omitempty"`
		Seq    int64  `json:"seq,omitempty"`
		OK     bool   `json:"ok"`
		Reason string `json:"reason,omitempty"`
	}
	out := struct {
		Key    string             `json:"key_file,omitempty"`
		Chains []integrity.Report `json:"chains"`
		Heads  []headResult       `json:"heads,omitempty"`
	}{Chains: reports}
	if st.Key != nil {
		out.Key = st.Key.Path
	}
	failed := 0
	for _, r := range reports {
		if !r.OK {
			failed++
			fmt.Fprintf(env.Stderr, "校验失败 %s: record %d: %s\n", r.Chain, r.BadSeq, r.Reason)
		}
	}
	for _, h := range heads {
		chain, seq, err := integrity.FindHead(reports, h)
		hr := headResult{Head: h, Chain: chain, Seq: seq, OK: err == nil}
		if err != nil {
			hr.Reason = err.Error()
			failed++
			fmt.Fprintf(env.Stderr, "链头不符 %v\n", err)
		}
		out.Heads = append(out.Heads, hr)
	}
	if st.Key == nil {
		fmt.Fprintf(env.Stderr, "注意 no integrity key at %s: keyed records cannot be checked\n", st.Dir.KeyFile())
	}
	e := json.NewEncoder(env.Stdout)
	e.SetIndent("", "  ")
	_ = e.Encode(out)
	if failed > 0 {
		return 1
	}
	for _, r := range reports {
		fmt.Fprintf(env.Stderr, "记录完整 %s: %d records (%d before the key), head %d %s\n", r.Chain, r.Records, r.Legacy, r.HeadSeq, r.Head)
	}
	return 0
}
