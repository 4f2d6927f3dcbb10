package agent

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// gzipBufferSize is how much of the exposition is compressed at a time. A
// stateless encoder compresses each block on its own, so the block must be
// large enough to find the exposition's repetitions (the whole ≈ 36 kB
// exposition of a typical host fits in about one block).
const gzipBufferSize = 32 << 10

// gzipMetrics serves h's responses gzip-compressed to clients that accept it
// (Prometheus always does), with klauspost/compress's stateless encoder.
//
// promhttp's own compression uses compress/gzip, whose encoder allocates
// about 800 kB per writer (the deflate hash tables). It is pooled, but a
// pooled object survives at most two GCs and the agent runs a GC every scrape
// or two, so it was allocated again every one or two scrapes: the largest
// single item of the agent's heap and of its GC work. The stateless encoder keeps no tables
// between writes: a scrape allocates the 32 kB block buffer and a few hundred
// bytes, and compresses in ≈ 0.13 ms instead of ≈ 1.2 ms, for output about
// 20 % larger (7.7 kB against 6.3 kB for this host's exposition). Figures in
// docs/benchmarks.md ("Releasing start-up pages").
//
// Only 200 responses are compressed: errors promhttp writes with http.Error
// (503 when too many scrapes run at once) go out as plain text.
func gzipMetrics(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
		if !acceptsGzip(r.Header.Values("Accept-Encoding")) {
			h.ServeHTTP(w, r)
			return
		}
		gw := &gzipResponseWriter{ResponseWriter: w}
		h.ServeHTTP(gw, r)
		gw.close()
	})
}

// acceptsGzip reports whether an Accept-Encoding header lists gzip (or *)
// with a non-zero quality.
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			if coding != "gzip" && coding != "*" {
				continue
			}
			q := 1.0
			if name, val, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(name) == "q" {
				f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
				if err != nil {
					continue
				}
				q = f
			}
			if q > 0 {
				return true
			}
		}
	}
	return false
}

// gzipResponseWriter decides at the first WriteHeader or Write whether to
// compress: only a 200 response without a Content-Encoding of its own is.
type gzipResponseWriter struct {
	http.ResponseWriter
	decided bool
	zw      *gzip.Writer
	bw      *bufio.Writer
}

func (g *gzipResponseWriter) WriteHeader(code int) {
	if !g.decided {
		g.decided = true
		hdr := g.ResponseWriter.Header()
		if code == http.StatusOK && hdr.Get("Content-Encoding") == "" {
			hdr.Set("Content-Encoding", "gzip")
			hdr.Del("Content-Length")
			// StatelessCompression is a valid level: no error.
			g.zw, _ = gzip.NewWriterLevel(g.ResponseWriter, gzip.StatelessCompression)
			g.bw = bufio.NewWriterSize(g.zw, gzipBufferSize)
		}
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *gzipResponseWriter) Write(p []byte) (int, error) {
	if !g.decided {
		g.WriteHeader(http.StatusOK)
	}
	if g.bw == nil {
		return g.ResponseWriter.Write(p)
	}
	return g.bw.Write(p)
}

// close flushes and ends the gzip stream, if one was started. Errors are the
// client's connection going away: nothing to do about them.
func (g *gzipResponseWriter) close() {
	if g.bw == nil {
		return
	}
	_ = g.bw.Flush()
	_ = g.zw.Close()
}
