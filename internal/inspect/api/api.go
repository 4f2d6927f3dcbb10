// Package api serves inspections over HTTP: list, get (JSON, .html check
// sheet, .xlsx workbook), run on demand, complete manual items (with an
// optional photo) and sign.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/integrity"
	"github.com/roomwatch/roomwatch/internal/pdf"
	"github.com/roomwatch/roomwatch/internal/report"
)

// Runner runs a template; *inspect.Runner implements it.
type Runner interface {
	Run(ctx context.Context, t *inspect.Template, ro inspect.RunOptions) (*inspect.Inspection, error)
}

// Options configure the handler.
type Options struct {
	Store     *inspect.Store
	Runner    Runner
	Templates []*inspect.Template
	Sheet     report.SheetOptions
	Clock     clockwork.Clock // the real clock when nil
	// Auth, when set, guards every route: viewer reads; engineer runs,
	// completes and signs as the engineer; customer (the bureau's
	// representative, 甲方代表) countersigns, and so may admin, but not the
	// contractor's engineers and managers. The token's name is recorded as
	// the user. Without Auth the body's user is
	// taken as is (tests, or a proxy that authenticates).
	Auth *auth.Authenticator
	// PhotoDir keeps uploaded photos (<sha256>.jpg|png); uploads are refused when empty.
	PhotoDir string
	// MaxPhotoBytes limits an upload; inspect.MaxPhotoBytes when 0.
	MaxPhotoBytes int64
	// PDF prints the check sheet as {id}.pdf on the server; nil (or no
	// Chromium): 503, and the sheet's HTML is printed from the browser.
	PDF    *pdf.Printer
	Logger *slog.Logger
}

// Roles needed per route when Options.Auth is set.
const (
	ReadRole        = auth.RoleViewer
	WriteRole       = auth.RoleEngineer
	CountersignRole = auth.RoleCustomer // the lowest role that may sign at all; see mayCountersign
)

// New returns the handler for /api/v1/inspections and below. Mount it at "/"
// or under a mux with the same paths.
func New(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	h := &handler{o: o}
	mux := http.NewServeMux()
	guard := func(pattern string, role auth.Role, fn http.HandlerFunc) {
		var hd http.Handler = fn
		if o.Auth != nil {
			hd = o.Auth.Require(role, hd)
		}
		mux.Handle(pattern, hd)
	}
	guard("GET /api/v1/inspections", ReadRole, h.list)
	guard("POST /api/v1/inspections", WriteRole, h.run)
	guard("GET /api/v1/inspections/{id}", ReadRole, h.get)
	guard("GET /api/v1/inspections/{id}/photos/{photo}", ReadRole, h.photo)
	guard("POST /api/v1/inspections/{id}/items", WriteRole, h.complete)
	guard("POST /api/v1/inspections/{id}/signatures", CountersignRole, h.sign)
	return mux
}

// who returns the principal's name and role when authenticated.
func (h *handler) who(r *http.Request) (auth.Principal, bool) {
	if h.o.Auth == nil {
		return auth.Principal{}, false
	}
	return auth.FromContext(r.Context())
}

// onBehalf keeps the token's name as the user; a different name in the
// request is kept in the note, as the tickets API does with --by.
func onBehalf(note, claimed, token string) string {
	if claimed == "" || claimed == token {
		return note
	}
	by := "经办人 by: " + claimed
	if note == "" {
		return by
	}
	return note + "（" + by + "）"
}

type handler struct{ o Options }

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, err error) {
	code := http.StatusBadRequest
	switch {
	case errors.Is(err, inspect.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, inspect.ErrConflict):
		code = http.StatusConflict
	}
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

func (h *handler) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := inspect.Filter{Template: q.Get("template")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			fail(w, fmt.Errorf("limit: %w", err))
			return
		}
		f.Limit = n
	}
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				fail(w, fmt.Errorf("%s: %w", name, err))
				return
			}
			*dst = t
		}
	}
	out, err := h.o.Store.List(r.Context(), f)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"inspections": out})
}

func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("id")
	base, ext, _ := strings.Cut(raw, ".")
	id, err := strconv.ParseInt(base, 10, 64)
	if err != nil {
		fail(w, fmt.Errorf("%w: %q", inspect.ErrNotFound, raw))
		return
	}
	in, err := h.o.Store.Get(r.Context(), id)
	if err != nil {
		fail(w, err)
		return
	}
	so := h.o.Sheet
	if ext != "" {
		seq, hash, err := h.o.Store.Head(r.Context())
		if err != nil {
			fail(w, err)
			return
		}
		so.Anchors = []report.Anchor{{Chain: integrity.ChainInspections, Seq: seq, Hash: hash}}
	}
	switch ext {
	case "":
		writeJSON(w, http.StatusOK, in)
	case "html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = report.WriteHTML(w, in, so)
	case "xlsx":
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="inspection-%d.xlsx"`, id))
		_ = report.WriteExcel(w, in, so)
	case "pdf":
		err := h.o.PDF.Write(w, r, fmt.Sprintf("inspection-%d", id), func(b *bytes.Buffer) error { return report.WriteHTML(b, in, so) })
		if err != nil {
			code, _ := pdf.HTTPStatus(err)
			if code == http.StatusInternalServerError {
				h.o.Logger.Error("inspections: pdf", "id", id, "err", err)
			}
			pdf.SetRetryAfter(w, err)
			auth.WriteError(w, code, err.Error())
		}
	default:
		fail(w, fmt.Errorf("%w: format %q", inspect.ErrNotFound, ext))
	}
}

type runRequest struct {
	Template string    `json:"template"`
	At       time.Time `json:"at,omitzero"`
	Actor    string    `json:"actor"`
}

func (h *handler) run(w http.ResponseWriter, r *http.Request) {
	var req runRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		fail(w, fmt.Errorf("body: %w", err))
		return
	}
	if p, ok := h.who(r); ok {
		req.Actor = p.Name
	}
	for _, t := range h.o.Templates {
		if t.Name == req.Template {
			if h.o.Runner == nil {
				writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "inspections cannot run here (no runner)"})
				return
			}
			in, err := h.o.Runner.Run(r.Context(), t, inspect.RunOptions{At: req.At, Trigger: "api", Actor: req.Actor})
			if err != nil {
				writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
				return
			}
			writeJSON(w, http.StatusCreated, in)
			return
		}
	}
	fail(w, fmt.Errorf("%w: template %q", inspect.ErrNotFound, req.Template))
}

func (h *handler) id(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		fail(w, fmt.Errorf("%w: %q", inspect.ErrNotFound, r.PathValue("id")))
		return 0, false
	}
	return id, true
}

func (h *handler) complete(w http.ResponseWriter, r *http.Request) {
	id, ok := h.id(w, r)
	if !ok {
		return
	}
	var c inspect.Completion
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		if !h.multipartCompletion(w, r, &c) {
			return
		}
	} else {
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			fail(w, fmt.Errorf("body: %w", err))
			return
		}
		if c.Photo != "" && !h.photoExists(c.Photo) {
			fail(w, fmt.Errorf("%w: photo %q was not uploaded here; send it as the multipart field \"photo\"", inspect.ErrBadPhoto, c.Photo))
			return
		}
	}
	if p, ok := h.who(r); ok {
		c.Note = onBehalf(c.Note, c.User, p.Name)
		c.User, c.Role = p.Name, p.Role.String()
	}
	in, err := h.o.Store.Complete(r.Context(), id, c, h.o.Clock.Now())
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, in)
}

// multipartCompletion reads a completion sent as a form (fields device, item,
// verdict, value, note, user) with an optional file field "photo".
func (h *handler) multipartCompletion(w http.ResponseWriter, r *http.Request, c *inspect.Completion) bool {
	max := h.o.MaxPhotoBytes
	if max <= 0 {
		max = inspect.MaxPhotoBytes
	}
	r.Body = http.MaxBytesReader(w, r.Body, max+1<<16)
	mr, err := r.MultipartReader()
	if err != nil {
		fail(w, fmt.Errorf("body: %w", err))
		return false
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				err = fmt.Errorf("%w: larger than %d bytes", inspect.ErrBadPhoto, max)
			}
			fail(w, fmt.Errorf("body: %w", err))
			return false
		}
		name := part.FormName()
		if name == "photo" {
			if h.o.PhotoDir == "" {
				fail(w, errors.New("photos are not accepted here (no photo directory)"))
				return false
			}
			if c.Photo != "" {
				fail(w, fmt.Errorf("%w: one photo per completion", inspect.ErrBadPhoto))
				return false
			}
			n, err := inspect.SavePhoto(h.o.PhotoDir, part, max)
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					err = fmt.Errorf("%w: larger than %d bytes", inspect.ErrBadPhoto, max)
				}
				fail(w, err)
				return false
			}
			c.Photo = n
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, 1<<14+1))
		if err != nil || len(b) > 1<<14 {
			fail(w, fmt.Errorf("field %q: too long or unreadable", name))
			return false
		}
		v := string(b)
		switch name {
		case "device":
			c.Device = v
		case "item":
			c.Item = v
		case "verdict":
			c.Verdict = inspect.Verdict(v)
		case "note":
			c.Note = v
		case "user":
			c.User = v
		case "value":
			if v == "" {
				break
			}
			x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				fail(w, fmt.Errorf("value: %w", err))
				return false
			}
			c.Value = &x
		default:
			fail(w, fmt.Errorf("unknown field %q (want device, item, verdict, value, note, user, photo)", name))
			return false
		}
	}
	return true
}

func (h *handler) photoExists(name string) bool {
	if _, ok := inspect.PhotoName(name); !ok || h.o.PhotoDir == "" {
		return false
	}
	_, err := os.Stat(filepath.Join(h.o.PhotoDir, name))
	return err == nil
}

// photo serves a photo that a row of the inspection names ("<sha256>" or
// "<sha256>.jpg|png").
func (h *handler) photo(w http.ResponseWriter, r *http.Request) {
	id, ok := h.id(w, r)
	if !ok {
		return
	}
	in, err := h.o.Store.Get(r.Context(), id)
	if err != nil {
		fail(w, err)
		return
	}
	want := r.PathValue("photo")
	name := ""
	for _, row := range in.Rows {
		p := row.Evidence.Photo
		if sha, ok := inspect.PhotoName(p); ok && (p == want || sha == want) {
			name = p
			break
		}
	}
	if name == "" || h.o.PhotoDir == "" {
		fail(w, fmt.Errorf("%w: inspection %d has no photo %q", inspect.ErrNotFound, id, want))
		return
	}
	if err := inspect.ServePhoto(w, h.o.PhotoDir, name); errors.Is(err, inspect.ErrPhotoMissing) {
		fail(w, fmt.Errorf("%w: %v", inspect.ErrNotFound, err))
	} else if err != nil {
		h.o.Logger.Warn("serve photo", "photo", name, "err", err)
	}
}

func (h *handler) sign(w http.ResponseWriter, r *http.Request) {
	id, ok := h.id(w, r)
	if !ok {
		return
	}
	var s inspect.Signature
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		fail(w, fmt.Errorf("body: %w", err))
		return
	}
	if p, ok := h.who(r); ok {
		if s.Role == inspect.RoleCustomer && !mayCountersign(p.Role) {
			auth.WriteError(w, http.StatusForbidden, fmt.Sprintf("token %q has role %s; the customer's countersignature (甲方代表) needs role customer", p.Name, p.Role))
			return
		}
		if s.Role != inspect.RoleCustomer && p.Role < WriteRole {
			auth.WriteError(w, http.StatusForbidden, fmt.Sprintf("token %q has role %s; the engineer's sign-off needs %s", p.Name, p.Role, WriteRole))
			return
		}
		s.Note = onBehalf(s.Note, s.User, p.Name)
		s.User = p.Name
	}
	s.At = h.o.Clock.Now()
	in, err := h.o.Store.Sign(r.Context(), id, s)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, in)
}

// mayCountersign reports whether a token of role r may countersign as the
// customer's representative: the customer role, whose holders are the
// bureau's own staff, and admin (to repair records). The contractor's
// engineers and managers may not: a countersignature they could give
// themselves would prove nothing.
func mayCountersign(r auth.Role) bool { return r == auth.RoleCustomer || r == auth.RoleAdmin }
