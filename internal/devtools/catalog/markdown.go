package catalog

import (
	"fmt"
	"io"
	"strings"
)

var sourceTitles = map[string]string{
	SourceAgent:     "主机代理 roomwatch-agent (node_exporter-compatible host metrics, watched processes, push)",
	SourceProbe:     "探测 Probes (ICMP, TCP/HTTP/RTSP, cameras/NVRs/checkpoints, per-check series)",
	SourceSNMP:      "SNMP 设备模板 Device profiles (rules/profiles)",
	SourceRegistry:  "代理注册 Agent registry",
	SourceCollector: "采集器自身 Collector self-metrics",
	SourceRules:     "规则 Rules (recording-rule outputs, ALERTS)",
}

// WriteMarkdown renders the catalogue as docs/metrics.md, grouped by source.
func (c *Catalog) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# 指标目录 Metric catalogue\n\n")
	b.WriteString("Generated from the code by `go test ./internal/devtools/catalog -run Markdown -update`; do not edit by hand.\n")
	b.WriteString("Every metric roomwatch produces, from: the agent's sources gathered once against its /proc fixture\n")
	b.WriteString("(`agent/testdata/root`), the Go source of the probes and the collector (sample, descriptor and option\n")
	b.WriteString("literals), the SNMP profiles and the alerting rules. Rules, inspection templates and `dashboards/*.json`\n")
	b.WriteString("are checked against this list in tests: a renamed metric breaks a test, not the wall display.\n\n")
	b.WriteString("Conventions (ARCHITECTURE.md, Metrics contract): base units (seconds, bytes, celsius, ratio 0–1),\n")
	b.WriteString("counters end in `_total`, `*_info` series have value 1 and carry text in labels. Every series about a\n")
	b.WriteString("monitored device carries `device`, `class`, `site` (and `vendor`, `model`); the agent's series pushed to the\n")
	b.WriteString("collector carry `agent`, `instance` and `job`, plus the labels configured on the agent.\n")
	b.WriteString("Where the code sets a type only when it emits a value, the type is inferred from the name (`_total` counter, `_info` info, else gauge).\n")
	cur := ""
	for _, e := range c.Entries() {
		if e.Source != cur {
			cur = e.Source
			fmt.Fprintf(&b, "\n## %s\n\n| name | type | unit | labels | help |\n|---|---|---|---|---|\n", sourceTitles[cur])
		}
		help := strings.ReplaceAll(strings.ReplaceAll(e.Help, "|", "\\|"), "\n", " ")
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", e.Name, e.Type, e.Unit, strings.Join(e.Labels, ", "), help)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
