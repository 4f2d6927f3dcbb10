package silence

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/auth"
)

// APIOptions configure the Alertmanager-compatible handler.
type APIOptions struct {
	Set  *Set                // required
	Auth *auth.Authenticator // required: reads need viewer, writes engineer
	// Version is the collector's version, reported by /api/v2/status as
	// the revision (amtool asks the status first).
	Version string
	Clock   clockwork.Clock
	Logger  *slog.Logger
}

// Routes are the paths the handler serves.
var Routes = []string{"/api/v2/silences", "/api/v2/silence/", "/api/v2/status"}

// APIVersion is the Alertmanager release whose API v2 the handler speaks;
// /api/v2/status reports it as the version, so that amtool of that release
// does not warn on every call that the versions differ.
const APIVersion = "0.25.0"

// maxBody bounds a posted silence.
const maxBody = 1 << 20

// NewAPI returns the handler of Alertmanager's API v2 silence routes:
// GET/POST /api/v2/silences, GET/DELETE /api/v2/silence/{id} and GET
// /api/v2/status, with the JSON Alertmanager 0.25 speaks, so amtool works
// against the collector. Errors are a JSON string, as Alertmanager writes
// them (401/403 from the authenticator are {"error": "..."}).
func NewAPI(o APIOptions) (http.Handler, error) {
	if o.Set == nil || o.Auth == nil {
		return nil, errors.New("silence: api needs a Set and an Authenticator")
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	h := &api{o: o, started: o.Clock.Now()}
	mux := http.NewServeMux()
	mux.Handle("GET /api/v2/status", http.HandlerFunc(h.status))
	mux.Handle("GET /api/v2/silences", o.Auth.Require(auth.RoleViewer, http.HandlerFunc(h.list)))
	mux.Handle("POST /api/v2/silences", o.Auth.Require(auth.RoleEngineer, http.HandlerFunc(h.post)))
	mux.Handle("GET /api/v2/silence/{id}", o.Auth.Require(auth.RoleViewer, http.HandlerFunc(h.get)))
	mux.Handle("DELETE /api/v2/silence/{id}", o.Auth.Require(auth.RoleEngineer, http.HandlerFunc(h.delete)))
	return mux, nil
}

type api struct {
	o       APIOptions
	started time.Time
}

// APIMatcher is a matcher in Alertmanager's JSON.
type APIMatcher struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	IsRegex bool   `json:"isRegex"`
	IsEqual *bool  `json:"isEqual,omitempty"` // absent: true
}

// APISilence is a silence in Alertmanager's JSON (postableSilence with id
// and gettableSilence with status and updatedAt).
type APISilence struct {
	ID        string       `json:"id,omitempty"`
	Matchers  []APIMatcher `json:"matchers"`
	StartsAt  time.Time    `json:"startsAt"`
	EndsAt    time.Time    `json:"endsAt"`
	CreatedBy string       `json:"createdBy"`
	Comment   string       `json:"comment"`
	Status    *struct {
		State State `json:"state"`
	} `json:"status,omitempty"`
	UpdatedAt *time.Time `json:"updatedAt,omitempty"`
}

// ToAPI is s in Alertmanager's JSON, with its state at now.
func ToAPI(s *Silence, now time.Time) APISilence {
	out := APISilence{ID: s.ID, StartsAt: s.StartsAt, EndsAt: s.EndsAt, CreatedBy: s.CreatedBy, Comment: s.Comment,
		Matchers: make([]APIMatcher, len(s.Matchers))}
	for i, m := range s.Matchers {
		eq := m.IsEqual()
		out.Matchers[i] = APIMatcher{Name: m.Name, Value: m.Value, IsRegex: m.IsRegex(), IsEqual: &eq}
	}
	out.Status = &struct {
		State State `json:"state"`
	}{s.StateAt(now)}
	u := s.UpdatedAt
	out.UpdatedAt = &u
	return out
}

// FromAPI checks and compiles the matchers of a posted silence.
func FromAPI(in *APISilence) (Silence, error) {
	s := Silence{ID: in.ID, StartsAt: in.StartsAt, EndsAt: in.EndsAt, CreatedBy: in.CreatedBy, Comment: in.Comment}
	for _, m := range in.Matchers {
		eq := m.IsEqual == nil || *m.IsEqual
		c, err := NewMatcher(TypeOf(m.IsRegex, eq), m.Name, m.Value)
		if err != nil {
			return Silence{}, err
		}
		s.Matchers = append(s.Matchers, c)
	}
	return s, nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeErr writes msg as Alertmanager does: a JSON string.
func writeErr(w http.ResponseWriter, code int, msg string) { writeJSON(w, code, msg) }

func (h *api) status(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"cluster": map[string]any{"status": "disabled", "peers": []any{}},
		"versionInfo": map[string]string{"version": APIVersion, "revision": "roomwatch " + h.o.Version, "branch": "roomwatch", "buildUser": "",
			"buildDate": "", "goVersion": ""},
		"config": map[string]string{"original": ""},
		"uptime": h.started.UTC(),
	})
}

func (h *api) list(w http.ResponseWriter, r *http.Request) {
	var filter []Matcher
	for _, f := range r.URL.Query()["filter"] {
		ms, err := parseFilter(f)
		if err != nil {
			writeErr(w, http.StatusBadRequest, err.Error())
			return
		}
		filter = append(filter, ms...)
	}
	now := h.o.Clock.Now()
	all := h.o.Set.List()
	out := make([]APISilence, 0, len(all))
	for i := range all {
		if filterMatches(&all[i], filter) {
			out = append(out, ToAPI(&all[i], now))
		}
	}
	sortAPI(out)
	writeJSON(w, http.StatusOK, out)
}

// sortAPI orders as Alertmanager does: active by end, pending by start,
// expired by end, newest first.
func sortAPI(ss []APISilence) {
	rank := map[State]int{StateActive: 0, StatePending: 1, StateExpired: 2}
	slices.SortStableFunc(ss, func(a, b APISilence) int {
		ra, rb := rank[a.Status.State], rank[b.Status.State]
		if ra != rb {
			return ra - rb
		}
		switch a.Status.State {
		case StateActive:
			return a.EndsAt.Compare(b.EndsAt)
		case StatePending:
			return a.StartsAt.Compare(b.StartsAt)
		}
		return b.EndsAt.Compare(a.EndsAt)
	})
}

// parseFilter reads one filter parameter: a matcher, or several in braces
// separated by commas ({a="b",c=~"d"}).
func parseFilter(f string) ([]Matcher, error) {
	f = strings.TrimSpace(f)
	f = strings.TrimSuffix(strings.TrimPrefix(f, "{"), "}")
	var out []Matcher
	for _, part := range splitOutsideQuotes(f) {
		if strings.TrimSpace(part) == "" {
			continue
		}
		m, err := ParseMatcher(part)
		if err != nil {
			return nil, fmt.Errorf("bad filter: %w", err)
		}
		out = append(out, m)
	}
	return out, nil
}

func splitOutsideQuotes(s string) []string {
	var out []string
	inQ, esc, start := false, false, 0
	for i, r := range s {
		switch {
		case esc:
			esc = false
		case r == '\\' && inQ:
			esc = true
		case r == '"':
			inQ = !inQ
		case r == ',' && !inQ:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// filterMatches is Alertmanager's filter of a silence list: each filter
// matcher is tried on the silence's matcher of that name (its value as
// written); a filter for the empty value accepts a silence without that
// name for = and =~, and with it for != and !~.
func filterMatches(s *Silence, filter []Matcher) bool {
	vals := make(map[string]string, len(s.Matchers))
	for _, m := range s.Matchers {
		vals[m.Name] = m.Value
	}
	for _, f := range filter {
		v, has := vals[f.Name]
		switch f.Type {
		case MatchNotEqual, MatchNotRegexp:
			if f.Value == "" && has {
				continue
			}
		default:
			if f.Value == "" && !has {
				continue
			}
		}
		if !f.m.Matches(v) {
			return false
		}
	}
	return true
}

func (h *api) post(w http.ResponseWriter, r *http.Request) {
	var in APISilence
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	if err := dec.Decode(&in); err != nil {
		writeErr(w, http.StatusBadRequest, "bad silence: "+err.Error())
		return
	}
	s, err := FromAPI(&in)
	if err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	p, _ := auth.FromContext(r.Context())
	if strings.TrimSpace(s.CreatedBy) == "" {
		s.CreatedBy = p.Name
	}
	id, err := h.o.Set.Put(r.Context(), s)
	switch {
	case errors.Is(err, ErrNotFound):
		writeErr(w, http.StatusNotFound, err.Error())
		return
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrExpired):
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	case err != nil:
		h.o.Logger.Error("silence: store", "err", err)
		writeErr(w, http.StatusInternalServerError, err.Error())
		return
	}
	h.o.Logger.Info("silence posted", "id", id, "token", p.Name, "created_by", s.CreatedBy)
	writeJSON(w, http.StatusOK, map[string]string{"silenceID": id})
}

func (h *api) get(w http.ResponseWriter, r *http.Request) {
	s, err := h.o.Set.Get(r.PathValue("id"))
	if err != nil {
		writeErr(w, http.StatusNotFound, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, ToAPI(&s, h.o.Clock.Now()))
}

func (h *api) delete(w http.ResponseWriter, r *http.Request) {
	err := h.o.Set.Expire(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, ErrNotFound):
		writeErr(w, http.StatusNotFound, err.Error())
		return
	case errors.Is(err, ErrExpired):
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	case err != nil:
		h.o.Logger.Error("silence: expire", "err", err)
		writeErr(w, http.StatusInternalServerError, err.Error())
		return
	}
	p, _ := auth.FromContext(r.Context())
	h.o.Logger.Info("silence expired by API", "id", r.PathValue("id"), "token", p.Name)
	w.WriteHeader(http.StatusOK)
}
