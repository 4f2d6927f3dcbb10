package console_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// The golden DOM snapshots: a page as Chromium serialised it after its
// scripts ran, with what changes from run to run replaced by placeholders
// (normaliseDOM, and domScript in the page before serialising), compared
// with testdata/golden/NAME.html. go test -run Golden -update rewrites them.

var (
	// kioskRE: a kiosk token in the wall's URLs.
	kioskRE = regexp.MustCompile(`([?&;]k=)[A-Za-z0-9_\-%.~]+`)
	// portRE: the test server's port wherever it is shown (audit records).
	portRE = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)
)

// normaliseDOM replaces the volatile parts of a serialised page: the static
// files' content hashes, CSRF tokens (meta and form fields), the countdowns'
// text (desk.js writes it from the browser's clock), kiosk tokens and ports.
// Times on the server's side come from the tests' fake clock and stay.
func normaliseDOM(dom string) string {
	dom = hashRE.ReplaceAllString(dom, "/static/HASH/")
	dom = csrfValueRE.ReplaceAllString(dom, "${1}TOKEN")
	dom = metaCSRFRE.ReplaceAllString(dom, "${1}TOKEN")
	dom = leftRE.ReplaceAllString(dom, "${1}COUNTDOWN")
	dom = kioskRE.ReplaceAllString(dom, "${1}KIOSK")
	dom = portRE.ReplaceAllString(dom, "127.0.0.1:PORT")
	return dom
}

// domScript serialises a copy of the document with the drawn charts
// replaced by a placeholder (ECharts' SVG follows fonts and layout: its data
// is the /devices/{name}/series answer, tested on its own) and htmx's
// passing classes (htmx-request, htmx-settling…) taken off.
const domScript = `(function () {
  var d = document.documentElement.cloneNode(true);
  d.querySelectorAll("[data-chart]").forEach(function (el) {
    var n = el.querySelectorAll("svg").length;
    el.textContent = n > 0 ? "CHART(" + n + " svg)" : "NO CHART";
    el.removeAttribute("style");
    el.removeAttribute("_echarts_instance_");
  });
  d.querySelectorAll("[class*=htmx-]").forEach(function (el) {
    Array.prototype.slice.call(el.classList).forEach(function (c) {
      if (c.indexOf("htmx-") === 0) { el.classList.remove(c); }
    });
    if (el.classList.length === 0) { el.removeAttribute("class"); }
  });
  return d.outerHTML;
})()`

// compareGolden compares got with testdata/golden/name.html, or rewrites
// that file under -update. A difference is reported with the first lines
// that differ, not the whole page.
func compareGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".html")
	got += "\n"
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if d := firstDiff(string(want), got, 5); d != "" {
		t.Errorf("%s differs from %s (go test -run Golden -update rewrites it, if intended):\n%s", name, path, d)
	}
}

// firstDiff returns the first n lines that differ between want and got,
// each pair as "-want" and "+got" with its line number (a long line shown
// around its first differing byte); "" when equal.
func firstDiff(want, got string, n int) string {
	if want == got {
		return ""
	}
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(wl), len(gl)) && shown < n; i++ {
		w, g := "(none)", "(none)"
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) && i < len(gl) && w == g {
			continue
		}
		shown++
		w, g = around(w, g)
		fmt.Fprintf(&b, "line %d -want: %s\nline %d +got:  %s\n", i+1, w, i+1, g)
	}
	if len(wl) != len(gl) {
		fmt.Fprintf(&b, "(%d lines wanted, %d got)\n", len(wl), len(gl))
	}
	return b.String()
}

// around clips two long lines to a window starting a little before their
// first differing byte.
func around(w, g string) (string, string) {
	const before, width = 80, 320
	p := 0
	for p < len(w) && p < len(g) && w[p] == g[p] {
		p++
	}
	from := max(p-before, 0)
	for from > 0 && !utf8.RuneStart(w[from]) {
		from--
	}
	clipAt := func(s string) string {
		if from >= len(s) {
			return "…" + s[min(from, len(s)):]
		}
		end := min(len(s), from+width)
		for end < len(s) && !utf8.RuneStart(s[end]) {
			end--
		}
		out := s[from:end]
		if from > 0 {
			out = "…" + out
		}
		if end < len(s) {
			out += "…"
		}
		return out
	}
	if len(w) <= width && len(g) <= width {
		return w, g
	}
	return clipAt(w), clipAt(g)
}

func TestFirstDiff(t *testing.T) {
	long := strings.Repeat("甲", 200)
	for _, tc := range []struct {
		name, want, got string
		has             []string
	}{
		{name: "equal", want: "a\nb", got: "a\nb"},
		{name: "one line", want: "a\nb\nc", got: "a\nB\nc", has: []string{"line 2 -want: b\n", "line 2 +got:  B\n"}},
		{name: "longer", want: "a", got: "a\nb", has: []string{"line 2 -want: (none)", "line 2 +got:  b", "(1 lines wanted, 2 got)"}},
		{name: "long line", want: long + "<b>" + long, got: long + "<i>" + long, has: []string{"…甲", "<b>", "<i>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := firstDiff(tc.want, tc.got, 5)
			if (d == "") != (len(tc.has) == 0) {
				t.Fatalf("firstDiff = %q", d)
			}
			for _, h := range tc.has {
				if !strings.Contains(d, h) {
					t.Errorf("firstDiff = %q, lacks %q", d, h)
				}
			}
			if !utf8.ValidString(d) {
				t.Errorf("firstDiff cut a character: %q", d)
			}
		})
	}
}
