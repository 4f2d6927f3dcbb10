// Package api serves inspections over HTTP: list, get (JSON, .html check
// sheet, .xlsx workbook), run on demand, complete manual items and sign.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/internal/inspect"
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
	Now       func() time.Time // the injected clock's Now
}

// New returns the handler for /api/v1/inspections and below. Mount it at "/"
// or under a mux with the same paths; callers add authentication in front.
func New(o Options) http.Handler {
	h := &handler{o: o}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/inspections", h.list)
	mux.HandleFunc("POST /api/v1/inspections", h.run)
	mux.HandleFunc("GET /api/v1/inspections/{id}", h.get)
	mux.HandleFunc("POST /api/v1/inspections/{id}/items", h.complete)
	mux.HandleFunc("POST /api/v1/inspections/{id}/signatures", h.sign)
	return mux
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
	switch ext {
	case "":
		writeJSON(w, http.StatusOK, in)
	case "html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = report.WriteHTML(w, in, h.o.Sheet)
	case "xlsx":
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="inspection-%d.xlsx"`, id))
		_ = report.WriteExcel(w, in, h.o.Sheet)
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
	for _, t := range h.o.Templates {
		if t.Name == req.Template {
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
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		fail(w, fmt.Errorf("body: %w", err))
		return
	}
	in, err := h.o.Store.Complete(r.Context(), id, c, h.o.Now())
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, in)
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
	s.At = h.o.Now()
	in, err := h.o.Store.Sign(r.Context(), id, s)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, in)
}
