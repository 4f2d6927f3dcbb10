package roster

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/calendar"
)

// Routes are the paths the API handler serves (for the collector's mux).
var Routes = []string{"/api/v1/roster", "/api/v1/roster/"}

// APIOptions configure NewAPI.
type APIOptions struct {
	Roster *Roster             // required
	Auth   *auth.Authenticator // required: reads need viewer, overrides manager
	Logger *slog.Logger
}

// maxDays bounds the shifts one GET returns.
const maxDays = 92

// NewAPI returns the roster API:
//
//	GET    /api/v1/roster?from=YYYY-MM-DD&to=YYYY-MM-DD  the shifts (default: 7 from the current one;
//	                                                    days=N instead of to: N from from)
//	GET    /api/v1/roster/overrides                      every override (config and API)
//	POST   /api/v1/roster/overrides                      add one (manager)
//	DELETE /api/v1/roster/overrides/{id}                 remove one added through the API (manager)
//
// Changes are recorded in roster.db's audit table with the token's name.
func NewAPI(o APIOptions) (http.Handler, error) {
	if o.Roster == nil || o.Auth == nil {
		return nil, errors.New("roster: api needs a Roster and an Authenticator")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	h := &api{o: o}
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/roster", o.Auth.Require(auth.RoleViewer, http.HandlerFunc(h.shifts)))
	mux.Handle("GET /api/v1/roster/overrides", o.Auth.Require(auth.RoleViewer, http.HandlerFunc(h.list)))
	mux.Handle("POST /api/v1/roster/overrides", o.Auth.Require(auth.RoleManager, http.HandlerFunc(h.add)))
	mux.Handle("DELETE /api/v1/roster/overrides/{id}", o.Auth.Require(auth.RoleManager, http.HandlerFunc(h.remove)))
	return mux, nil
}

type api struct{ o APIOptions }

// APIPerson is someone on duty as the API shows them.
type APIPerson struct {
	User string `json:"user"`
	Name string `json:"name,omitempty"`
	// Known is false when no enabled account has the name.
	Known bool `json:"known"`
}

// APIDuty is one role's duty in a shift.
type APIDuty struct {
	Role       Role        `json:"role"`
	People     []APIPerson `json:"people"`
	Source     Source      `json:"source"`
	OverrideID int64       `json:"override_id,omitempty"`
	Reason     string      `json:"reason,omitempty"`
}

// APIShift is one shift.
type APIShift struct {
	Date    string    `json:"date"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Holiday string    `json:"holiday,omitempty"`
	Current bool      `json:"current,omitempty"`
	Duty    []APIDuty `json:"duty"`
}

// APIRoster is the answer of GET /api/v1/roster.
type APIRoster struct {
	Handover string     `json:"handover"`
	Timezone string     `json:"timezone"`
	Shifts   []APIShift `json:"shifts"`
	Problems []Problem  `json:"problems"`
}

// APIOverride is an override in the API.
type APIOverride struct {
	ID        int64     `json:"id,omitempty"`
	From      string    `json:"from"`
	To        string    `json:"to,omitempty"`
	Role      Role      `json:"role"`
	Users     []string  `json:"users"`
	Reason    string    `json:"reason,omitempty"`
	Source    string    `json:"source,omitempty"` // config | api
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// ToAPI is o in the API's JSON.
func ToAPI(o Override) APIOverride {
	src := "config"
	if o.ID != 0 {
		src = "api"
	}
	return APIOverride{ID: o.ID, From: o.From.String(), To: o.Last().String(), Role: o.Role, Users: o.Users, Reason: o.Reason,
		Source: src, CreatedBy: o.CreatedBy, CreatedAt: o.CreatedAt}
}

// FromAPI reads a posted override (checked by AddOverride); a bad date is
// ErrInvalid.
func FromAPI(in APIOverride) (Override, error) {
	from, err := calendar.ParseDate(in.From)
	if err != nil {
		return Override{}, fmt.Errorf("%w: from: %w", ErrInvalid, err)
	}
	o := Override{From: from, Role: in.Role, Users: in.Users, Reason: in.Reason}
	if in.To != "" {
		if o.To, err = calendar.ParseDate(in.To); err != nil {
			return Override{}, fmt.Errorf("%w: to: %w", ErrInvalid, err)
		}
	}
	return o, nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (h *api) shifts(w http.ResponseWriter, r *http.Request) {
	rs := h.o.Roster
	from := rs.ShiftDate(rs.o.Clock.Now())
	to := from.AddDays(6)
	q := r.URL.Query()
	var err error
	if v := q.Get("from"); v != "" {
		if from, err = calendar.ParseDate(v); err != nil {
			auth.WriteError(w, http.StatusBadRequest, "from: "+err.Error())
			return
		}
		to = from.AddDays(6)
	}
	if v := q.Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			auth.WriteError(w, http.StatusBadRequest, "days: a positive number")
			return
		}
		to = from.AddDays(n - 1)
	}
	if v := q.Get("to"); v != "" {
		if to, err = calendar.ParseDate(v); err != nil {
			auth.WriteError(w, http.StatusBadRequest, "to: "+err.Error())
			return
		}
	}
	if to.Before(from) {
		auth.WriteError(w, http.StatusBadRequest, fmt.Sprintf("to %s is before from %s", to, from))
		return
	}
	if from.AddDays(maxDays - 1).Before(to) {
		auth.WriteError(w, http.StatusBadRequest, fmt.Sprintf("at most %d days at once", maxDays))
		return
	}
	v, err := rs.View(r.Context(), from, to)
	if err != nil {
		h.o.Logger.Error("roster view", "err", err)
		auth.WriteError(w, http.StatusInternalServerError, "roster: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (h *api) list(w http.ResponseWriter, r *http.Request) {
	out := []APIOverride{}
	for _, o := range h.o.Roster.Overrides() {
		out = append(out, ToAPI(o))
	}
	writeJSON(w, http.StatusOK, map[string]any{"overrides": out})
}

func (h *api) add(w http.ResponseWriter, r *http.Request) {
	var in APIOverride
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		auth.WriteError(w, http.StatusBadRequest, "body: "+err.Error())
		return
	}
	o, err := FromAPI(in)
	if err != nil {
		auth.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	p, _ := auth.FromContext(r.Context())
	saved, err := h.o.Roster.AddOverride(r.Context(), o, p.Name)
	switch {
	case errors.Is(err, ErrInvalid):
		auth.WriteError(w, http.StatusBadRequest, err.Error())
		return
	case errors.Is(err, ErrNoStore):
		auth.WriteError(w, http.StatusServiceUnavailable, err.Error())
		return
	case err != nil:
		h.o.Logger.Error("roster: add override", "err", err)
		auth.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, ToAPI(saved))
}

func (h *api) remove(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		auth.WriteError(w, http.StatusBadRequest, "id: a positive number (overrides of the config are removed from the config)")
		return
	}
	p, _ := auth.FromContext(r.Context())
	err = h.o.Roster.RemoveOverride(r.Context(), id, p.Name)
	switch {
	case errors.Is(err, ErrNotFound):
		auth.WriteError(w, http.StatusNotFound, err.Error())
		return
	case errors.Is(err, ErrNoStore):
		auth.WriteError(w, http.StatusServiceUnavailable, err.Error())
		return
	case err != nil:
		h.o.Logger.Error("roster: remove override", "err", err)
		auth.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
