// Package pdf prints an HTML document (a report, a check sheet) to an A4
// PDF on the server with headless Chromium, driven over the DevTools
// protocol by chromedp.
//
// One Chromium process prints at a time, started for the document and
// stopped after it (no browser lingers between requests); at most Queue
// documents wait behind it, and a request beyond that is refused at once
// with ErrBusy rather than piling up, so a burst of PDF downloads cannot
// exhaust the server. Each document has Timeout to print, its wait
// included. Without Chromium, Print returns ErrUnavailable: the documents'
// HTML has a print stylesheet, so the browser's own print-to-PDF still works.
package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Defaults.
const (
	DefaultQueue   = 4
	DefaultTimeout = 60 * time.Second
)

// Candidates are the executable names looked up on PATH when Options.Chromium is empty.
var candidates = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// Errors Print returns; HTTPStatus maps them.
var (
	// ErrUnavailable: no Chromium is installed (or configured).
	ErrUnavailable = errors.New("server-side PDF is not available: Chromium is not installed on the server; open the HTML and print it to PDF from the browser")
	// ErrBusy: Queue documents are already waiting.
	ErrBusy = errors.New("too many PDF documents are being printed; try again shortly")
)

// Options configure a Printer.
type Options struct {
	// Chromium is the browser's executable; looked up on PATH (chromium,
	// chromium-browser, google-chrome) when empty.
	Chromium string
	// Queue is how many documents may wait while one prints; DefaultQueue
	// when 0, none when negative.
	Queue int
	// Timeout bounds one document, its wait in the queue included;
	// DefaultTimeout when 0.
	Timeout time.Duration
	// TempDir holds each print's browser profile; os.TempDir() when empty.
	TempDir string
	Logger  *slog.Logger
}

// Printer prints HTML to PDF, one document at a time.
type Printer struct {
	o     Options
	bin   string
	why   error         // why bin is empty
	slots chan struct{} // printing + waiting
	run   chan struct{} // the one printing
}

// New returns a Printer. It does not fail when Chromium is missing: Print
// then returns ErrUnavailable (see Available).
func New(o Options) *Printer {
	if o.Queue == 0 {
		o.Queue = DefaultQueue
	}
	if o.Queue < 0 {
		o.Queue = 0
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Printer{o: o, slots: make(chan struct{}, o.Queue+1), run: make(chan struct{}, 1)}
	p.bin, p.why = lookChromium(o.Chromium)
	return p
}

func lookChromium(name string) (string, error) {
	if name != "" {
		bin, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("%w (documents.chromium %q: %v)", ErrUnavailable, name, err)
		}
		return bin, nil
	}
	for _, c := range candidates {
		if bin, err := exec.LookPath(c); err == nil {
			return bin, nil
		}
	}
	return "", fmt.Errorf("%w (none of %v on PATH)", ErrUnavailable, candidates)
}

// Available returns nil when Chromium was found, else an error wrapping
// ErrUnavailable that says what was looked for. A nil Printer is unavailable.
func (p *Printer) Available() error {
	if p == nil {
		return ErrUnavailable
	}
	return p.why
}

// Chromium is the executable used ("" when unavailable).
func (p *Printer) Chromium() string {
	if p == nil {
		return ""
	}
	return p.bin
}

// Print prints one self-contained HTML page to an A4 PDF (the page's own
// @page size and margins win) and returns the PDF. It waits its turn
// behind the document printing, or returns ErrBusy at once when the queue
// is full.
func (p *Printer) Print(ctx context.Context, html []byte) ([]byte, error) {
	if err := p.Available(); err != nil {
		return nil, err
	}
	select {
	case p.slots <- struct{}{}:
	default:
		return nil, ErrBusy
	}
	defer func() { <-p.slots }()
	ctx, cancel := context.WithTimeout(ctx, p.o.Timeout)
	defer cancel()
	select {
	case p.run <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("pdf: waiting to print: %w", ctx.Err())
	}
	defer func() { <-p.run }()
	start := time.Now()
	out, err := p.print(ctx, html)
	if err != nil {
		return nil, err
	}
	p.o.Logger.Debug("pdf: printed", "bytes", len(out), "took", time.Since(start))
	return out, nil
}

// print runs one Chromium for one page: the page is written to a file in a
// fresh profile directory and opened from there (no server, no network).
func (p *Printer) print(ctx context.Context, html []byte) ([]byte, error) {
	dir, err := os.MkdirTemp(p.o.TempDir, "roomwatch-pdf-")
	if err != nil {
		return nil, fmt.Errorf("pdf: %w", err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "document.html")
	if err := os.WriteFile(file, html, 0o600); err != nil {
		return nil, fmt.Errorf("pdf: %w", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(p.bin),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.DisableGPU,
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-sync", true),
		// The documents are self-contained: anything they would fetch from
		// the network goes to a proxy that is not there.
		chromedp.ProxyServer("http://127.0.0.1:9"),
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
	)
	if os.Geteuid() == 0 {
		// Chromium refuses to start its sandbox as root.
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	var pdf []byte
	err = chromedp.Do(bctx,
		chromedp.Navigate("file://"+file),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			css := true
			res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{
				PaperWidth: 8.27, PaperHeight: 11.69, // A4 in inches
				PreferCSSPageSize: &css, PrintBackground: &css,
			})
			pdf = res.Data
			return err
		}),
	)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("pdf: printing: %w", ctx.Err())
		}
		return nil, fmt.Errorf("pdf: chromium %s: %w", p.bin, err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		return nil, fmt.Errorf("pdf: chromium returned %d bytes that are not a PDF", len(pdf))
	}
	return pdf, nil
}

// HTTPStatus is the status an HTTP answer gives err from Print: 503 for
// ErrUnavailable, ErrBusy and a timeout (with the seconds to wait before
// trying again, 0 when retrying will not help), else 500.
func HTTPStatus(err error) (code int, retryAfter int) {
	switch {
	case errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable, 0
	case errors.Is(err, ErrBusy):
		return http.StatusServiceUnavailable, 5
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable, 10
	}
	return http.StatusInternalServerError, 0
}

// Write renders a document with render, prints it and sends it as the
// attachment name (".pdf" is added). On failure nothing is written and the
// error is returned for the caller's own error answer (see HTTPStatus).
func (p *Printer) Write(w http.ResponseWriter, r *http.Request, name string, render func(*bytes.Buffer) error) error {
	if err := p.Available(); err != nil {
		return err
	}
	var html bytes.Buffer
	if err := render(&html); err != nil {
		return err
	}
	out, err := p.Print(r.Context(), html.Bytes())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.pdf"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	_, err = w.Write(out)
	return err
}

// SetRetryAfter sets the Retry-After header for err's status, when retrying helps.
func SetRetryAfter(w http.ResponseWriter, err error) {
	if _, s := HTTPStatus(err); s > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(s))
	}
}
