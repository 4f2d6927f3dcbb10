package console

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
)

//go:embed static
var staticFS embed.FS

// staticFiles serves the embedded files at /static/<hash>/<name>, where
// <hash> is the start of the file's SHA-256: a changed file gets a new URL,
// so every URL can be cached for a year as immutable. The contents stay in
// the binary (embed.FS.ReadFile would copy each onto the heap, ECharts'
// 1.1 MB among them) and a file's hash is computed when a page first names
// it or a browser first asks for it: a file no page uses is never read.
type staticFiles struct {
	files map[string]*staticFile // name -> file; fixed after loadStatic
}

type staticFile struct {
	path string // in staticFS
	once sync.Once
	hash string
	err  error
}

const hashLen = 12

func loadStatic() (*staticFiles, error) {
	st := &staticFiles{files: map[string]*staticFile{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		st.files[strings.TrimPrefix(p, "static/")] = &staticFile{path: p}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("console: static files: %w", err)
	}
	return st, nil
}

// hashOf returns the start of name's SHA-256, computed once.
func (st *staticFiles) hashOf(name string) (string, error) {
	f, ok := st.files[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	f.once.Do(func() {
		r, err := staticFS.Open(f.path)
		if err != nil {
			f.err = fmt.Errorf("console: static file %s: %w", name, err)
			return
		}
		defer r.Close()
		h := sha256.New()
		if _, err := io.Copy(h, r); err != nil {
			f.err = fmt.Errorf("console: static file %s: %w", name, err)
			return
		}
		f.hash = hex.EncodeToString(h.Sum(nil))[:hashLen]
	})
	return f.hash, f.err
}

// url returns the versioned URL of an embedded file.
func (st *staticFiles) url(name string) (string, error) {
	h, err := st.hashOf(name)
	if err != nil {
		return "", err
	}
	return "/static/" + h + "/" + name, nil
}

func (st *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/static/")
	hash, name, ok := strings.Cut(rest, "/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if h, err := st.hashOf(name); err != nil || h != hash {
		http.NotFound(w, r)
		return
	}
	f, err := staticFS.Open(st.files[name].path)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("ETag", `"`+hash+`"`)
	if r.Header.Get("If-None-Match") == `"`+hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if fi, err := f.Stat(); err == nil {
		w.Header().Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	}
	_, _ = io.Copy(w, f)
}
