package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/collector"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe"
	"github.com/roomwatch/roomwatch/internal/probe/exposition"
	"github.com/roomwatch/roomwatch/internal/probe/icmp"
	"github.com/roomwatch/roomwatch/internal/probe/probers"
	"github.com/roomwatch/roomwatch/internal/probe/scheduler"
)

// runProbe probes the configured devices once and prints what they answered
// as Prometheus text exposition: the tool an engineer runs while
// commissioning a device. Exit 0 when every check answered, 1 when one did
// not, 2 on a usage or configuration error.
func runProbe(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfgPath := fs.String("config", "", "collector configuration file (inventory and probes sections) / 配置文件")
	var devices multiFlag
	fs.Var(&devices, "device", "device name, or name/ip for a range member; repeat or separate by commas; default all / 设备名")
	timeout := fs.Duration("timeout", 0, "per-probe timeout (default: the configured one) / 单项探测超时")
	icmpRate := fs.Int("icmp.rate", 0, "ICMP echoes sent per second, all targets together (0: the default 50000; -1: unpaced, like fping -i 0) / 每秒发送的ICMP回显数")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: roomwatch-collector probe --config FILE [--device NAME] [--timeout D] [--icmp.rate N]")
		fmt.Fprintln(env.Stderr, "探测设备一次，以 Prometheus 文本格式输出结果 / probe devices once and print the results")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *cfgPath == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	if *icmpRate < -1 {
		fmt.Fprintf(env.Stderr, "--icmp.rate %d: use -1 (unpaced), 0 (default) or a positive rate\n", *icmpRate)
		return 2
	}
	cfg, err := collector.LoadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintf(env.Stderr, "配置错误 / configuration error: %v\n", err)
		return 2
	}
	for _, d := range cfg.ProbeDeprecations() {
		fmt.Fprintln(env.Stderr, "警告 / warning:", d)
	}
	all, err := cfg.Inventory.Targets()
	if err != nil {
		fmt.Fprintf(env.Stderr, "配置错误 / configuration error: %v\n", err)
		return 2
	}
	targets, err := selectTargets(all, devices)
	if err != nil {
		fmt.Fprintf(env.Stderr, "找不到设备 / no such device: %v\n", err)
		return 2
	}
	if len(targets) == 0 {
		fmt.Fprintln(env.Stderr, "清单中没有设备 / the inventory holds no device")
		return 2
	}
	wantICMP, wantSNMP := false, false
	for _, t := range targets {
		for _, k := range cfg.Probes.ProbesFor(t.Device) {
			wantICMP = wantICMP || k == scheduler.ProbeICMP
			wantSNMP = wantSNMP || k == scheduler.ProbeSNMP
		}
	}
	// The SNMP profiles are read only when a target has the snmp check
	// (outside the repository from the binary's embedded copy, extracted
	// to a temporary directory): a ping-only run does neither.
	profiles := ""
	if wantSNMP {
		cleanup, err := collector.UseEmbeddedRulesTemp(&cfg)
		defer cleanup()
		if err != nil {
			fmt.Fprintf(env.Stderr, "配置错误 / configuration error: %v\n", err)
			return 2
		}
		profiles = cfg.Probes.ProfilesDir
	}
	loc, _ := cfg.Location()
	logger := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	set, err := probers.New(probers.Options{Logger: logger, Location: loc, ProfilesDir: profiles, NoICMP: !wantICMP,
		ICMP: icmp.Options{Rate: *icmpRate}})
	if err != nil {
		fmt.Fprintf(env.Stderr, "配置错误 / configuration error: %v\n", err)
		return 2
	}
	defer set.Close()
	jobs, err := scheduler.Plan(targets, &cfg.Probes, set.Have)
	if err != nil {
		for _, ue := range scheduler.Unavailable(err) {
			if why := set.Unavailable[ue.Kind]; why != nil {
				fmt.Fprintf(env.Stderr, "检查不可用 / check unavailable: %v\n", why)
			}
		}
		fmt.Fprintf(env.Stderr, "检查不可用 / check unavailable: %v\n", err)
	}
	if len(jobs) == 0 {
		fmt.Fprintln(env.Stderr, "没有可执行的检查 / no check can run")
		return 1
	}
	// The text output is laid out from the results the checks are expected
	// to give while they run (the ICMP rounds wait 1 s apart), so that after
	// the last echo only the values are left to write.
	prepared := make(chan *exposition.Prepared, 1)
	go func() { prepared <- exposition.Prepare(expectedResults(env.clock(), set, jobs)) }()
	results := runOnce(ctx, env.clock(), set, jobs, *timeout, cfg.Probes.Concurrency)
	if err := (<-prepared).WriteText(env.Stdout, results); err != nil {
		fmt.Fprintf(env.Stderr, "输出失败 / cannot write the results: %v\n", err)
		return 1
	}
	failed := 0
	for _, r := range results {
		if r.Err != nil {
			failed++
			fmt.Fprintf(env.Stderr, "%s: %s %s (%s): %v\n", reasonText(probe.Reason(r.Err)), r.Target.Name, r.Probe, r.Target.Address, r.Err)
		}
	}
	if failed > 0 {
		fmt.Fprintf(env.Stderr, "%d 项探测失败，共 %d 项 / %d of %d probes failed\n", failed, len(results), failed, len(results))
		return 1
	}
	return 0
}

// runOnce runs every job once, concurrently within limit; batch kinds get one
// call with all their targets.
func runOnce(ctx context.Context, clk clockwork.Clock, set *probers.Set, jobs []*scheduler.Job, timeout time.Duration, limit int) []probe.Result {
	if limit <= 0 {
		limit = scheduler.DefaultConcurrency
	}
	sem := make(chan struct{}, limit)
	var mu sync.Mutex
	var wg sync.WaitGroup
	results := make([]probe.Result, 0, len(jobs))
	fill := func(r *probe.Result, j *scheduler.Job, kind string, start time.Time) {
		r.Target, r.Probe, r.Brief = j.Target, kind, j.Brief
		if r.Start.IsZero() {
			r.Start = start
		}
		if r.Duration == 0 {
			r.Duration = time.Since(start)
		}
	}
	add := func(r probe.Result, j *scheduler.Job, kind string, start time.Time) {
		fill(&r, j, kind, start)
		mu.Lock()
		results = append(results, r)
		mu.Unlock()
	}
	batches := map[string][]*scheduler.Job{}
	for _, j := range jobs {
		d := j.Timeout
		if timeout > 0 {
			d = timeout
		}
		if set.Batch[j.Kind] != nil {
			batches[j.Kind] = append(batches[j.Kind], j)
			continue
		}
		wg.Add(1)
		go func(j *scheduler.Job, d time.Duration) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			pctx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			start := clk.Now()
			add(set.Probers[j.Kind].Probe(pctx, j.Target), j, j.Kind, start)
		}(j, d)
	}
	for kind, bj := range batches {
		wg.Add(1)
		go func(kind string, bj []*scheduler.Job) {
			defer wg.Done()
			d := timeout
			ts := make([]inventory.Target, len(bj))
			for i, j := range bj {
				ts[i] = j.Target
				if timeout <= 0 {
					d = max(d, j.Timeout)
				}
			}
			pctx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			start := clk.Now()
			rs := set.Batch[kind].ProbeAll(pctx, ts)
			for i, j := range bj {
				if i >= len(rs) {
					rs = append(rs, probe.Result{Err: probe.Errorf(probe.ReasonTimeout, "%s: no result", kind)})
				}
				fill(&rs[i], j, kind, start)
			}
			mu.Lock()
			results = append(results, rs[:len(bj)]...)
			mu.Unlock()
		}(kind, bj)
	}
	wg.Wait()
	sort.Slice(results, func(i, j int) bool {
		if results[i].Target.Name != results[j].Target.Name {
			return results[i].Target.Name < results[j].Target.Name
		}
		return results[i].Probe < results[j].Probe
	})
	return results
}

// expecter is a prober that can tell the result a target gives when it
// answers (icmp.Pinger).
type expecter interface {
	Expect(inventory.Target) probe.Result
}

// expectedResults returns what each job is expected to give: its prober's
// Expect, or a result without samples (a check that answered and measured
// nothing more).
func expectedResults(clk clockwork.Clock, set *probers.Set, jobs []*scheduler.Job) []probe.Result {
	out := make([]probe.Result, len(jobs))
	now := clk.Now()
	for i, j := range jobs {
		var p any = set.Probers[j.Kind]
		if b := set.Batch[j.Kind]; b != nil {
			p = b
		}
		if e, ok := p.(expecter); ok {
			out[i] = e.Expect(j.Target)
		} else {
			out[i] = probe.Result{Target: j.Target, Probe: j.Kind, Start: now}
		}
		out[i].Brief = j.Brief
	}
	return out
}

// selectTargets keeps the targets named (device name or name/ip).
func selectTargets(all []inventory.Target, names []string) ([]inventory.Target, error) {
	if len(names) == 0 {
		return all, nil
	}
	var out []inventory.Target
	for _, n := range names {
		found := false
		for _, t := range all {
			if t.Name == n || t.Device.Name == n {
				out = append(out, t)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("%q is not in the inventory", n)
		}
	}
	return out, nil
}

// reasonText is the bilingual headline of a failure reason.
func reasonText(reason string) string {
	switch reason {
	case probe.ReasonTimeout, probe.ReasonRefused, probe.ReasonUnreachable:
		return "设备无应答 / no answer"
	case probe.ReasonDNS:
		return "域名无法解析 / name does not resolve"
	case probe.ReasonTLS:
		return "TLS证书校验失败 / TLS failed"
	case probe.ReasonAuth:
		return "认证失败 / authentication failed"
	case probe.ReasonNotFound:
		return "路径或通道不存在 / not found"
	case probe.ReasonUnavailable:
		return "设备忙或服务不可用 / unavailable"
	case probe.ReasonHTTPStatus:
		return "状态码异常 / unexpected status"
	case probe.ReasonProtocol:
		return "应答格式异常 / bad answer"
	case probe.ReasonDeviceFault:
		return "设备自报故障 / device fault"
	case probe.ReasonConfig:
		return "配置错误 / configuration error"
	}
	return "检查失败 / check failed"
}

// multiFlag collects repeated, comma-separated values.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

func (m *multiFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*m = append(*m, s)
		}
	}
	return nil
}
