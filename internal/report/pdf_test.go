package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

// printPDF prints an HTML page to A4 PDF with headless Chromium (the way an
// engineer prints a report) and returns the PDF's path. It needs a CJK font
// (fonts-wqy-zenhei, deploy/dev/install-test-peers.sh): without one the
// Chinese prints as empty boxes.
func printPDF(t *testing.T, page []byte) string {
	t.Helper()
	chromium := testutil.LookBinary(t, "chromium")
	fcList := testutil.LookBinary(t, "fc-list")
	if out, err := exec.Command(fcList, ":lang=zh", "family").Output(); err != nil || len(bytes.TrimSpace(out)) == 0 {
		testutil.Missing(t, "no Chinese font (fc-list :lang=zh is empty; apt-get install fonts-wqy-zenhei): %v", err)
	}
	dir := t.TempDir()
	html := filepath.Join(dir, "page.html")
	if err := os.WriteFile(html, page, 0o644); err != nil {
		t.Fatal(err)
	}
	pdf := filepath.Join(dir, "out.pdf")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--no-first-run", "--user-data-dir="+filepath.Join(dir, "profile"), "--print-to-pdf="+pdf, "file://"+html).CombinedOutput()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	b, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatalf("no PDF: %v\n%s", err, out)
	}
	if len(b) < 5000 || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("PDF of %d bytes, prefix %q", len(b), b[:min(8, len(b))])
	}
	return pdf
}

// cjkFont matches the PostScript names of the fonts the templates list for
// Chinese (after the subset prefix, e.g. AAAAAA+WenQuanYiZenHei).
var cjkFont = regexp.MustCompile(`\+(WenQuanYiZenHei|NotoSansCJK|NotoSerifCJK|SourceHanSans|MicrosoftYaHei|SimSun)`)

// checkPDF asserts the PDF is A4 (pdfinfo) and that its text (pdftotext)
// holds every one of want, e.g. the Chinese title, set in a CJK font
// (pdffonts).
func checkPDF(t *testing.T, pdf string, want ...string) {
	t.Helper()
	info, err := exec.Command(testutil.LookBinary(t, "pdfinfo"), pdf).CombinedOutput()
	if err != nil || !bytes.Contains(info, []byte("Pages:")) || !bytes.Contains(info, []byte("A4")) {
		t.Errorf("pdfinfo: %v\n%s", err, info)
	}
	out, err := exec.Command(testutil.LookBinary(t, "pdftotext"), "-enc", "UTF-8", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	// pdftotext reads the text back even when it printed as empty boxes
	// (Chromium maps the missing glyphs to their characters), so the font
	// is checked too: the Chinese must be set in an embedded CJK font.
	fonts, err := exec.Command(testutil.LookBinary(t, "pdffonts"), pdf).CombinedOutput()
	if err != nil || !cjkFont.Match(fonts) {
		t.Errorf("no CJK font embedded in the PDF (%v):\n%s", err, fonts)
	}
	text := string(out)
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("PDF text lacks %q:\n%s", w, text[:min(len(text), 2000)])
		}
	}
}
