// Package api is the ticket REST API (docs/api/openapi.yaml) and the alert
// intake endpoints: POST /api/v1/alertmanager/webhook (Alertmanager webhook,
// version 4) and POST /api/v2/alerts (Alertmanager API v2, as Prometheus
// sends). NewHandler returns an http.Handler for the collector's server to
// mount. An intake request is answered 2xx only after its ticket changes are
// committed.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/alert"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/web"
)

// Service is what the API needs from the ticket service.
type Service interface {
	Ingest(ctx context.Context, alerts []alert.Alert) (tickets.IngestResult, error)
	Do(ctx context.Context, id int64, r tickets.ActionRequest) (*tickets.Ticket, error)
	Create(ctx context.Context, m tickets.Manual) (*tickets.Ticket, error)
	Get(ctx context.Context, id int64) (*tickets.Ticket, error)
	List(ctx context.Context, f tickets.Filter) ([]tickets.Ticket, error)
	Location() *time.Location
}

// Options configures NewHandler.
type Options struct {
	Service Service
	Auth    *auth.Authenticator
	Clock   clockwork.Clock // the service's clock; the real clock when nil
	Logger  *slog.Logger
	// MaxBody bounds a request body; default 8 MiB (a photo goes with a
	// registration, so 9 MiB when PhotoDir is set and MaxBody is not).
	MaxBody int64
	// PhotoDir keeps the photos filed with manual registrations (the
	// collector's photos directory, shared with the inspections); "" = none.
	PhotoDir string
	// MaxPhoto bounds one photo (default inspect.MaxPhotoBytes, 8 MiB).
	MaxPhoto int64
}

// actionRoles says which role each action needs.
var actionRoles = map[tickets.Action]auth.Role{
	tickets.ActionAck: auth.RoleEngineer, tickets.ActionDispatch: auth.RoleEngineer, tickets.ActionOnSite: auth.RoleEngineer,
	tickets.ActionRecover: auth.RoleEngineer, tickets.ActionResolve: auth.RoleEngineer, tickets.ActionClose: auth.RoleEngineer,
	tickets.ActionNote: auth.RoleEngineer, tickets.ActionPart: auth.RoleEngineer,
	tickets.ActionDiagnose: auth.RoleEngineer, tickets.ActionPlan: auth.RoleEngineer, tickets.ActionSpare: auth.RoleEngineer,
	tickets.ActionReport: auth.RoleEngineer, tickets.ActionConfirm: auth.RoleEngineer, tickets.ActionReject: auth.RoleEngineer,
	tickets.ActionFollowUp: auth.RoleEngineer, tickets.ActionPause: auth.RoleEngineer, tickets.ActionResume: auth.RoleEngineer,
	tickets.ActionRepairOut: auth.RoleEngineer, tickets.ActionRepairBack: auth.RoleEngineer,
	tickets.ActionRepairReport: auth.RoleEngineer,
	tickets.ActionReopen:       auth.RoleManager, tickets.ActionCancel: auth.RoleManager,
}

type handler struct {
	o Options
}

// NewHandler returns the API's handler.
func NewHandler(o Options) (http.Handler, error) {
	if o.Service == nil || o.Auth == nil {
		return nil, errors.New("api: Service and Auth are required")
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 8 << 20
		if o.PhotoDir != "" {
			o.MaxBody = 9 << 20
		}
	}
	h := &handler{o: o}
	mux := http.NewServeMux()
	a := o.Auth
	mux.Handle("GET /api/v1/tickets", a.Require(auth.RoleViewer, http.HandlerFunc(h.list)))
	mux.Handle("POST /api/v1/tickets", a.Require(auth.RoleEngineer, http.HandlerFunc(h.create)))
	mux.Handle("GET /api/v1/tickets/{id}", a.Require(auth.RoleViewer, http.HandlerFunc(h.get)))
	mux.Handle("GET /api/v1/tickets/{id}/photos/{photo}", a.Require(auth.RoleViewer, http.HandlerFunc(h.photo)))
	mux.Handle("POST /api/v1/tickets/{id}/{action}", a.Require(auth.RoleViewer, http.HandlerFunc(h.action)))
	if cs, ok := o.Service.(ComplaintService); ok {
		h.mountComplaints(mux, a, cs)
	}
	mux.HandleFunc("POST /api/v1/alertmanager/webhook", h.intake(DecodeWebhook))
	mux.HandleFunc("POST /api/v2/alerts", h.intake(DecodeV2))
	return mux, nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusInternalServerError
	msg := err.Error()
	switch {
	case errors.Is(err, tickets.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, tickets.ErrInvalidTransition):
		code = http.StatusConflict
	case errors.Is(err, tickets.ErrInvalid):
		code = http.StatusBadRequest
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		code = http.StatusServiceUnavailable
	default:
		h.o.Logger.Error("tickets api", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "internal error: " + msg
	}
	auth.WriteError(w, code, msg)
}

func (h *handler) body(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.o.MaxBody))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			auth.WriteError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", h.o.MaxBody))
			return nil, false
		}
		auth.WriteError(w, http.StatusBadRequest, "read body: "+err.Error())
		return nil, false
	}
	return b, true
}

// intake serves an alert endpoint with the given decoder.
func (h *handler) intake(decode func([]byte, time.Time) ([]alert.Alert, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, err := h.o.Auth.AuthenticateIntake(r); err != nil {
			code := http.StatusUnauthorized
			w.Header().Set("WWW-Authenticate", `Bearer realm="roomwatch"`)
			auth.WriteError(w, code, err.Error())
			return
		}
		if err := web.RequireJSON(r); err != nil {
			auth.WriteError(w, http.StatusUnsupportedMediaType, err.Error())
			return
		}
		b, ok := h.body(w, r)
		if !ok {
			return
		}
		as, err := decode(b, h.o.Clock.Now())
		if err != nil {
			auth.WriteError(w, http.StatusBadRequest, err.Error())
			return
		}
		res, err := h.o.Service.Ingest(r.Context(), as)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "success", "result": res})
	}
}

// Ticket is a ticket as the API returns it: the ticket plus display names.
type Ticket struct {
	*tickets.Ticket
	LevelZH    string `json:"level_zh"`
	StateZH    string `json:"state_zh"`
	CategoryZH string `json:"category_zh,omitempty"`
}

func view(t *tickets.Ticket) Ticket {
	v := Ticket{Ticket: t, LevelZH: t.Level.Chinese(), StateZH: t.State.Chinese()}
	if t.Category.Valid() {
		v.CategoryZH = t.Category.Chinese()
	}
	return v
}

// ParseFilter reads the list filters from a query: state (comma-separated),
// level (I..IV), site, device, from, to (RFC 3339 or YYYY-MM-DD in loc),
// limit, offset.
func ParseFilter(q map[string][]string, loc *time.Location) (tickets.Filter, error) {
	var f tickets.Filter
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	for k := range q {
		switch k {
		case "state", "level", "site", "device", "from", "to", "limit", "offset":
		default:
			return f, fmt.Errorf("unknown filter %q", k)
		}
	}
	if s := get("state"); s != "" {
		for _, st := range strings.Split(s, ",") {
			if !tickets.State(st).Valid() {
				return f, fmt.Errorf("unknown state %q", st)
			}
			f.States = append(f.States, tickets.State(st))
		}
	}
	if s := get("level"); s != "" {
		if err := f.Level.UnmarshalText([]byte(s)); err != nil {
			return f, err
		}
	}
	f.Site, f.Device = get("site"), get("device")
	parseT := func(k string) (time.Time, error) {
		s := get(k)
		if s == "" {
			return time.Time{}, nil
		}
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t, nil
		}
		t, err := time.ParseInLocation("2006-01-02", s, loc)
		if err != nil {
			return t, fmt.Errorf("%s %q: want RFC 3339 or YYYY-MM-DD", k, s)
		}
		return t, nil
	}
	var err error
	if f.From, err = parseT("from"); err != nil {
		return f, err
	}
	if f.To, err = parseT("to"); err != nil {
		return f, err
	}
	for _, k := range []string{"limit", "offset"} {
		if s := get(k); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return f, fmt.Errorf("%s %q: want a number ≥ 0", k, s)
			}
			if k == "limit" {
				f.Limit = n
			} else {
				f.Offset = n
			}
		}
	}
	return f, nil
}

func (h *handler) list(w http.ResponseWriter, r *http.Request) {
	f, err := ParseFilter(r.URL.Query(), h.o.Service.Location())
	if err != nil {
		auth.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	ts, err := h.o.Service.List(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]Ticket, len(ts))
	for i := range ts {
		out[i] = view(&ts[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{"tickets": out})
}

func parseID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		auth.WriteError(w, http.StatusBadRequest, fmt.Sprintf("ticket id %q: want a positive number", r.PathValue("id")))
		return 0, false
	}
	return id, true
}

func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	id, ok := parseID(w, r)
	if !ok {
		return
	}
	t, err := h.o.Service.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view(t))
}

func decodeBody(b []byte, v any) error {
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: invalid JSON body: %v", tickets.ErrInvalid, err)
	}
	return nil
}

func (h *handler) action(w http.ResponseWriter, r *http.Request) {
	id, ok := parseID(w, r)
	if !ok {
		return
	}
	act, err := tickets.ParseAction(r.PathValue("action"))
	if err != nil {
		auth.WriteError(w, http.StatusNotFound, err.Error())
		return
	}
	p, _ := auth.FromContext(r.Context())
	if need := actionRoles[act]; p.Role < need {
		auth.WriteError(w, http.StatusForbidden, fmt.Sprintf("token %q has role %s; %s needs %s", p.Name, p.Role, act, need))
		return
	}
	b, ok := h.body(w, r)
	if !ok {
		return
	}
	req := tickets.ActionRequest{}
	if err := decodeBody(b, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	req.Action, req.Actor = act, p.Name
	t, err := h.o.Service.Do(r.Context(), id, req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view(t))
}

func (h *handler) create(w http.ResponseWriter, r *http.Request) {
	var m tickets.Manual
	if isMultipart(r) {
		var ok bool
		if m, ok = h.manualFromMultipart(w, r); !ok {
			return
		}
	} else {
		b, ok := h.body(w, r)
		if !ok {
			return
		}
		if err := decodeBody(b, &m); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	p, _ := auth.FromContext(r.Context())
	m.Actor = p.Name
	t, err := h.o.Service.Create(r.Context(), m)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/tickets/%d", t.ID))
	writeJSON(w, http.StatusCreated, view(t))
}
