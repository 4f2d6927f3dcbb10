package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/roomwatch/roomwatch/internal/pdf"
	"github.com/roomwatch/roomwatch/internal/testutil"
)

// TestTicketReportsServerPDF prints both per-ticket reports through the
// server-side path (internal/pdf, as the API and the console do) and reads
// the PDF's text back: the ticket, its level, the Chinese section titles,
// the resolve timer's breach and the hostile title as text.
func TestTicketReportsServerPDF(t *testing.T) {
	p := pdf.New(pdf.Options{Chromium: testutil.LookBinary(t, "chromium"), TempDir: t.TempDir()})
	for _, tc := range []struct {
		kind FaultKind
		want []string
	}{
		{FaultReport, []string{"故障处理报告", "处理过程", "合同时限", "用户确认及回访", "记录链头"}},
		{MajorReport, []string{"重大故障报告", "影响范围及故障损失", "应急方案", "根本原因分析", "预防措施"}},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			d := faultDocument(t, tc.kind)
			var html bytes.Buffer
			if err := d.WriteHTML(&html); err != nil {
				t.Fatal(err)
			}
			out, err := p.Print(context.Background(), html.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(t.TempDir(), string(tc.kind)+".pdf")
			if err := os.WriteFile(f, out, 0o644); err != nil {
				t.Fatal(err)
			}
			checkPDF(t, f, append(tc.want, "#1", "I级 紧急", "修复 resolve 超时 1小时00分", "<script>", "{{.Bureau}}")...)
		})
	}
}
