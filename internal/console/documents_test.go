package console_test

import (
	"bytes"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/console"
	"github.com/roomwatch/roomwatch/internal/pdf"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// TestTicketReportDownloads: the ticket page links the fault report (and
// the major fault report for level I); each downloads as HTML and Excel;
// without Chromium the PDF answers 503 with a page saying to print from
// the browser; a customer gets only its own sites' tickets.
func TestTicketReportDownloads(t *testing.T) {
	e := newDeskEnvWith(t, func(o *console.Options) {
		o.Sources.PDF = pdf.New(pdf.Options{Chromium: filepath.Join(t.TempDir(), "no-chromium")})
	})
	major := e.create(t, tickets.Manual{Title: `核心交换机宕机 <script>alert(1)</script> {{.Bureau}}`, Level: 1, Device: "sw-core", Site: "central"})
	minor := e.create(t, tickets.Manual{Title: "摄像机离线", Level: 3, Device: "cam9", Site: "east"})
	duty := e.user(t, "duty", auth.RoleViewer)
	rep := e.user(t, "eastrep", auth.RoleCustomer, "east")

	_, page := get(t, duty, e.srv.URL+"/tickets/"+itoa(major.ID))
	for _, w := range []string{"故障处理报告", "重大故障报告", "/report/fault?format=xlsx", "/report/major?format=xlsx", "服务器未安装 Chromium"} {
		if !strings.Contains(page, w) {
			t.Errorf("level I ticket page lacks %q", w)
		}
	}
	if _, page := get(t, duty, e.srv.URL+"/tickets/"+itoa(minor.ID)); strings.Contains(page, "/report/major") {
		t.Error("a level III ticket links a major fault report")
	}
	base := e.srv.URL + "/tickets/" + itoa(major.ID) + "/report/"
	for _, tc := range []struct {
		c    *http.Client
		path string
		code int
		want string
	}{
		{duty, base + "fault", 200, "故障处理报告"},
		{duty, base + "major", 200, "预防措施"},
		{duty, base + "major?format=xlsx", 200, "PK"},
		{duty, base + "fault?format=pdf", 503, "浏览器"},
		{duty, e.srv.URL + "/tickets/" + itoa(minor.ID) + "/report/major", 404, ""},
		{duty, base + "minor", 404, ""},
		{rep, base + "fault", 404, ""}, // another site's ticket: as if absent
		{rep, e.srv.URL + "/tickets/" + itoa(minor.ID) + "/report/fault", 200, "摄像机离线"},
	} {
		resp, body := get(t, tc.c, tc.path)
		if resp.StatusCode != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s: %s, want %d with %q\n%.300s", tc.path, resp.Status, tc.code, tc.want, body)
		}
		if strings.Contains(body, "<script>alert(1)</script>") {
			t.Errorf("GET %s: the hostile title reached the document as markup", tc.path)
		}
	}
}

// TestTicketReportPDF prints the fault report through the console with the
// real Chromium (skipped without it).
func TestTicketReportPDF(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed")
	}
	e := newDeskEnvWith(t, func(o *console.Options) {
		o.Sources.PDF = pdf.New(pdf.Options{Chromium: bin, TempDir: t.TempDir()})
	})
	tk := e.create(t, tickets.Manual{Title: "核心交换机宕机", Level: 1, Device: "sw-core", Site: "central"})
	duty := e.user(t, "duty", auth.RoleViewer)
	if _, page := get(t, duty, e.srv.URL+"/tickets/"+itoa(tk.ID)); !strings.Contains(page, "/report/major?format=pdf") {
		t.Error("with Chromium the ticket page has no PDF link")
	}
	duty.Timeout = 2 * time.Minute // Chromium starts slowly on a busy machine
	resp, body := get(t, duty, e.srv.URL+"/tickets/"+itoa(tk.ID)+"/report/major?format=pdf")
	if resp.StatusCode != 200 || !bytes.HasPrefix([]byte(body), []byte("%PDF-")) || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("PDF: %s %s, %d bytes", resp.Status, resp.Header.Get("Content-Type"), len(body))
	}
}

// TestSheetPDFWithoutChromium: the check sheet page says PDFs are printed
// from the browser, and /inspections/{id}.pdf answers 503 saying so. (The
// reports page's PDF button goes through the same sendDocument, tested with
// the ticket reports.)
func TestSheetPDFWithoutChromium(t *testing.T) {
	e, _ := newPagesEnv(t) // no PDF printer
	e.addUser(t, "duty", "", auth.RoleViewer, true)
	cl, _ := session(t, e, "duty")
	_, page := get(t, cl, e.srv.URL+"/inspections/1")
	if !strings.Contains(page, `id="sheet-pdf"`) || !strings.Contains(page, "服务器未安装 Chromium") {
		t.Errorf("sheet page: no PDF hint")
	}
	resp, body := get(t, cl, e.srv.URL+"/inspections/1.pdf")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "用浏览器") {
		t.Errorf("GET /inspections/1.pdf: %s\n%.300s", resp.Status, body)
	}
}
