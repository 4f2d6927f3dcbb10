package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// ComplaintService is what the complaint endpoints need (*tickets.Service);
// they are served when Options.Service implements it.
type ComplaintService interface {
	FileComplaint(ctx context.Context, r tickets.ComplaintRequest) (*tickets.Complaint, error)
	AnswerComplaint(ctx context.Context, id int64, reply, actor string) (*tickets.Complaint, error)
	CloseComplaint(ctx context.Context, id int64, actor string) (*tickets.Complaint, error)
	Complaint(ctx context.Context, id int64) (*tickets.Complaint, error)
	Complaints(ctx context.Context, f tickets.ComplaintFilter) ([]tickets.Complaint, error)
}

// complaintRoles: anyone who may read (the duty operator, the customer) may
// file a complaint; a manager answers and closes it.
const (
	complaintFileRole   = auth.RoleViewer
	complaintAnswerRole = auth.RoleManager
)

func (h *handler) mountComplaints(mux *http.ServeMux, a *auth.Authenticator, cs ComplaintService) {
	c := &complaintHandler{h: h, cs: cs}
	mux.Handle("GET /api/v1/complaints", a.Require(auth.RoleViewer, http.HandlerFunc(c.list)))
	mux.Handle("POST /api/v1/complaints", a.Require(complaintFileRole, http.HandlerFunc(c.file)))
	mux.Handle("GET /api/v1/complaints/{id}", a.Require(auth.RoleViewer, http.HandlerFunc(c.get)))
	mux.Handle("POST /api/v1/complaints/{id}/answer", a.Require(complaintAnswerRole, http.HandlerFunc(c.answer)))
	mux.Handle("POST /api/v1/complaints/{id}/close", a.Require(complaintAnswerRole, http.HandlerFunc(c.close)))
}

type complaintHandler struct {
	h  *handler
	cs ComplaintService
}

// ownOnly reports whether p sees only the complaints it filed (a customer).
func ownOnly(p auth.Principal) bool { return p.Role == auth.RoleCustomer }

func (c *complaintHandler) list(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.FromContext(r.Context())
	var f tickets.ComplaintFilter
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "ticket", "open", "limit":
		default:
			auth.WriteError(w, http.StatusBadRequest, fmt.Sprintf("unknown parameter %q (want ticket, open, limit)", k))
			return
		}
	}
	if v := q.Get("ticket"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			auth.WriteError(w, http.StatusBadRequest, fmt.Sprintf("ticket %q: want a positive number", v))
			return
		}
		f.TicketID = n
	}
	f.Open = q.Get("open") == "true" || q.Get("open") == "1"
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			auth.WriteError(w, http.StatusBadRequest, fmt.Sprintf("limit %q: want a number", v))
			return
		}
		f.Limit = n
	}
	if ownOnly(p) {
		f.FiledBy = p.Name
	}
	cs, err := c.cs.Complaints(r.Context(), f)
	if err != nil {
		c.h.fail(w, r, err)
		return
	}
	if cs == nil {
		cs = []tickets.Complaint{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"complaints": cs})
}

func (c *complaintHandler) load(w http.ResponseWriter, r *http.Request) (*tickets.Complaint, bool) {
	id, ok := parseID(w, r)
	if !ok {
		return nil, false
	}
	cm, err := c.cs.Complaint(r.Context(), id)
	if err != nil {
		c.h.fail(w, r, err)
		return nil, false
	}
	if p, _ := auth.FromContext(r.Context()); ownOnly(p) && cm.FiledBy != p.Name {
		c.h.fail(w, r, fmt.Errorf("%w: complaint %d", tickets.ErrNotFound, id)) // another's: as if absent
		return nil, false
	}
	return cm, true
}

func (c *complaintHandler) get(w http.ResponseWriter, r *http.Request) {
	if cm, ok := c.load(w, r); ok {
		writeJSON(w, http.StatusOK, cm)
	}
}

func (c *complaintHandler) file(w http.ResponseWriter, r *http.Request) {
	b, ok := c.h.body(w, r)
	if !ok {
		return
	}
	var req tickets.ComplaintRequest
	if err := decodeBody(b, &req); err != nil {
		c.h.fail(w, r, err)
		return
	}
	p, _ := auth.FromContext(r.Context())
	req.Actor = p.Name
	cm, err := c.cs.FileComplaint(r.Context(), req)
	if err != nil {
		c.h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/complaints/%d", cm.ID))
	writeJSON(w, http.StatusCreated, cm)
}

func (c *complaintHandler) answer(w http.ResponseWriter, r *http.Request) {
	id, ok := parseID(w, r)
	if !ok {
		return
	}
	b, ok := c.h.body(w, r)
	if !ok {
		return
	}
	var req struct {
		Reply string `json:"reply"`
	}
	if err := decodeBody(b, &req); err != nil {
		c.h.fail(w, r, err)
		return
	}
	p, _ := auth.FromContext(r.Context())
	cm, err := c.cs.AnswerComplaint(r.Context(), id, req.Reply, p.Name)
	if err != nil {
		c.h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, cm)
}

func (c *complaintHandler) close(w http.ResponseWriter, r *http.Request) {
	id, ok := parseID(w, r)
	if !ok {
		return
	}
	p, _ := auth.FromContext(r.Context())
	cm, err := c.cs.CloseComplaint(r.Context(), id, p.Name)
	if err != nil {
		c.h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, cm)
}
