// Package browsertest drives Debian's Chromium (headless) from Go tests with
// chromedp. A Browser fails its test on any JavaScript console error,
// uncaught exception, alert dialog, failed request or HTTP error answer
// (unless the test says that status is expected), and saves screenshots as
// test artifacts: under $ROOMWATCH_ARTIFACTS/screenshots when set, else
// testdata/screenshots/ beside the test (ignored by git).
//
// Without chromium the test is skipped, or fails under
// ROOMWATCH_REQUIRE_PEERS=1 (see testutil.Missing).
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

// ArtifactsEnv names the variable holding the artifact directory.
const ArtifactsEnv = "ROOMWATCH_ARTIFACTS"

// Options configures New.
type Options struct {
	// Width and Height of the viewport; default 1280×800.
	Width, Height int
	// Mobile emulates a phone (touch, mobile viewport meta honoured).
	Mobile bool
	// Timeout of the whole browser session; default 60 s.
	Timeout time.Duration
}

// Browser is one headless Chromium with one tab.
type Browser struct {
	t   testing.TB
	ctx context.Context

	mu       sync.Mutex
	problems []string
	allowed  map[int64]bool  // HTTP statuses the test expects
	okURLs   map[string]bool // URLs answered with an allowed status
}

func allocatorOptions(bin, userDataDir string) []chromedp.ExecAllocatorOption {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.WindowSize(1280, 800),
		chromedp.UserDataDir(userDataDir),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	return opts
}

// New starts a Chromium of its own for the test; it is stopped, and the
// problems seen reported, when the test ends. Tests of a package that use
// many browsers share one process with Start and (*Chromium).New.
func New(t testing.TB, o Options) *Browser {
	t.Helper()
	bin := testutil.LookBinary(t, "chromium")
	ctx, cancel := context.WithCancel(context.Background())
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, allocatorOptions(bin, t.TempDir())...)
	t.Cleanup(func() {
		cancelAlloc()
		cancel()
	})
	return newTab(t, actx, o)
}

// newTab opens a tab (the first one starts the browser of parent) in its
// own browser context: cookies and storage are the test's own.
func newTab(t testing.TB, parent context.Context, o Options, copts ...chromedp.ContextOption) *Browser {
	t.Helper()
	if o.Width == 0 {
		o.Width, o.Height = 1280, 800
	}
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	b := &Browser{t: t, allowed: map[int64]bool{}, okURLs: map[string]bool{}}
	ctx, cancelTimeout := context.WithTimeout(parent, o.Timeout)
	bctx, cancelTab := chromedp.NewContext(ctx, append(copts, chromedp.WithListener(b.onEvent))...)
	b.ctx = bctx
	t.Cleanup(func() {
		cancelTab()
		cancelTimeout()
		b.Check()
	})
	steps := []chromedp.Action[chromedp.Void]{chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, log.Enable, cdp.Empty{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{})
		return err
	})}
	if o.Mobile || o.Width != 1280 || o.Height != 800 {
		vo := []chromedp.EmulateViewportOption{}
		if o.Mobile {
			vo = append(vo, chromedp.EmulateMobile, chromedp.EmulateTouch)
		}
		steps = append(steps, chromedp.EmulateViewport(int64(o.Width), int64(o.Height), vo...))
	}
	if err := chromedp.Do(bctx, steps...); err != nil {
		t.Fatalf("chromium: open a tab: %v", err)
	}
	return b
}

// Chromium is one browser process shared by the tests of a package (start
// it in TestMain): each test gets a tab in a browser context of its own,
// which saves starting Chromium for every test.
type Chromium struct {
	bin     string
	ctx     context.Context // the browser's first (blank) tab
	cancel  func()
	dataDir string
	err     error
}

// Start starts Chromium, or records why it could not (the tests then skip
// or fail in (*Chromium).New). Close it when the tests are done.
func Start() *Chromium {
	c := &Chromium{cancel: func() {}}
	bin, err := exec.LookPath("chromium")
	if err != nil {
		c.err = fmt.Errorf("chromium is not installed (see deploy/dev/install-test-peers.sh): %w", err)
		return c
	}
	c.bin = bin
	if c.dataDir, err = os.MkdirTemp("", "roomwatch-chromium-"); err != nil {
		c.err = err
		return c
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), allocatorOptions(bin, c.dataDir)...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	c.ctx = bctx
	c.cancel = func() {
		cancelBrowser()
		cancelAlloc()
		os.RemoveAll(c.dataDir)
	}
	if err := chromedp.Do(bctx); err != nil {
		c.err = fmt.Errorf("start %s: %w", bin, err)
	}
	return c
}

// Close stops the browser.
func (c *Chromium) Close() { c.cancel() }

// New opens a tab for t in a fresh browser context.
func (c *Chromium) New(t testing.TB, o Options) *Browser {
	t.Helper()
	if c.err != nil {
		if c.bin == "" {
			testutil.Missing(t, "%v", c.err)
		}
		t.Fatalf("chromium: %v", c.err)
	}
	return newTab(t, c.ctx, o, chromedp.WithNewBrowserContext())
}

func (b *Browser) problem(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, fmt.Sprintf(format, args...))
}

// onEvent runs in the tab's message loop: it only records.
func (b *Browser) onEvent(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert || ev.Type == runtime.ConsoleAPICalledTypeWarning {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
			}
			b.problem("console.%s: %s", ev.Type, strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		b.problem("uncaught exception at %s:%d: %s", d.URL, d.LineNumber, msg)
	case *log.EventEntryAdded:
		e := ev.Entry
		if e.Level != log.EntryLevelError && e.Level != log.EntryLevelWarning {
			return
		}
		b.mu.Lock()
		ok := e.Source == log.EntrySourceNetwork && b.okURLs[e.URL]
		b.mu.Unlock()
		if !ok {
			b.problem("browser log (%s, %s): %s %s", e.Level, e.Source, e.Text, e.URL)
		}
	case *network.EventResponseReceived:
		st := ev.Response.Status
		if st < 400 {
			return
		}
		b.mu.Lock()
		ok := b.allowed[st]
		if ok {
			b.okURLs[ev.Response.URL] = true
		}
		b.mu.Unlock()
		if !ok {
			b.problem("HTTP %d for %s (%s)", st, ev.Response.URL, ev.Type)
		}
	case *network.EventLoadingFailed:
		if ev.Canceled {
			return
		}
		b.problem("request failed (%s): %s %s", ev.Type, ev.ErrorText, ev.BlockedReason)
	case *page.EventJavascriptDialogOpening:
		b.problem("JavaScript dialog opened (%s): %q", ev.Type, ev.Message)
		go func() {
			_ = chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
				return err
			}))
		}()
	}
}

// Allow makes HTTP answers with these statuses expected (e.g. 401 for a
// wrong password): they no longer count as failed requests.
func (b *Browser) Allow(statuses ...int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range statuses {
		b.allowed[s] = true
	}
}

// Problems returns what went wrong so far (console errors, failed requests…).
func (b *Browser) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

// Drain returns the problems seen so far and forgets them, for a test that
// expects some.
func (b *Browser) Drain() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	ps := b.problems
	b.problems = nil
	return ps
}

// Check fails the test for every problem seen so far, and forgets them.
func (b *Browser) Check() {
	b.t.Helper()
	b.mu.Lock()
	ps := b.problems
	b.problems = nil
	b.mu.Unlock()
	for _, p := range ps {
		b.t.Errorf("browser: %s", p)
	}
}

// Do runs steps in the tab, failing the test on error, then Check.
func (b *Browser) Do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v (problems so far: %v)", err, b.Problems())
	}
	b.Check()
}

// Ctx is the tab's context, for chromedp calls the helpers do not cover.
func (b *Browser) Ctx() context.Context { return b.ctx }

// Navigate loads url and waits for it.
func (b *Browser) Navigate(url string) {
	b.t.Helper()
	b.Do(chromedp.Navigate(url))
}

// ClickAndWait clicks sel (a form's submit button, a link) and waits until
// another document has loaded.
func (b *Browser) ClickAndWait(sel string) {
	b.t.Helper()
	Eval[bool](b, "window.__rwOld = true")
	b.Do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	// The poll may hit the old document's context as it goes away: retry.
	deadline := time.Now().Add(15 * time.Second)
	for {
		done, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.__rwOld === undefined && document.readyState === "complete"`))
		if err == nil && done {
			break
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("browser: no new page after clicking %s (last error %v; problems: %v)", sel, err, b.Problems())
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Check()
}

// Type sets the value of the input sel (clearing it first).
func (b *Browser) Type(sel, value string) {
	b.t.Helper()
	b.Do(chromedp.WaitVisible(chromedp.CSS(sel)))
	Eval[bool](b, `(document.querySelector(`+strconv.Quote(sel)+`).value = "", true)`)
	b.Do(chromedp.SendKeys(chromedp.CSS(sel), value, chromedp.NodeVisible))
}

// visibleText is a page function: the innerText of the first node matching
// its argument once that node is rendered (has a layout box), else null.
const visibleText = `(sel) => {
	const e = document.querySelector(sel);
	return e && e.getClientRects().length > 0 ? {text: e.innerText} : null;
}`

// Text returns the visible text of the first node matching sel, waiting up
// to 15 s for one to be rendered. The lookup and the read are one step in
// the page: a page that replaces its nodes as it updates itself (the wall
// display, the duty desk) cannot remove the node between the two, as it
// can between chromedp's query and read ("No node with given id found").
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	res, err := chromedp.Run(b.ctx, chromedp.PollFunction[struct {
		Text string `json:"text"`
	}](visibleText, chromedp.WithPollingArgs(sel), chromedp.WithPollingTimeout(15*time.Second)))
	if err != nil {
		b.t.Fatalf("browser: text of %s: %v (problems: %v)", sel, err, b.Problems())
	}
	b.Check()
	return res.Text
}

// Eval evaluates a JavaScript expression through DevTools (not subject to
// the page's CSP).
func Eval[T any](b *Browser, expr string, opts ...chromedp.EvaluateOption) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		b.t.Fatalf("browser: eval %s: %v", expr, err)
	}
	b.Check()
	return v
}

// OuterHTML returns the serialised DOM of the document.
func (b *Browser) OuterHTML() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		b.t.Fatalf("browser: outer HTML: %v", err)
	}
	return s
}

// ArtifactDir is where screenshots go.
func ArtifactDir() string {
	if d := os.Getenv(ArtifactsEnv); d != "" {
		return filepath.Join(d, "screenshots")
	}
	return filepath.Join("testdata", "screenshots")
}

// Screenshot saves a full-page PNG named after the test and name, and
// returns its path.
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("browser: screenshot: %v", err)
	}
	dir := ArtifactDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	file := strings.NewReplacer("/", "_", " ", "_").Replace(b.t.Name()) + "-" + name + ".png"
	p := filepath.Join(dir, file)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	return p
}
