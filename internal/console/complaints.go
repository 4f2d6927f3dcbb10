package console

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// Complaints is what the complaint page needs (*tickets.Service); the page
// is served when Options.Tickets implements it.
type Complaints interface {
	FileComplaint(ctx context.Context, r tickets.ComplaintRequest) (*tickets.Complaint, error)
	AnswerComplaint(ctx context.Context, id int64, reply, actor string) (*tickets.Complaint, error)
	CloseComplaint(ctx context.Context, id int64, actor string) (*tickets.Complaint, error)
	Complaints(ctx context.Context, f tickets.ComplaintFilter) ([]tickets.Complaint, error)
	Complaint(ctx context.Context, id int64) (*tickets.Complaint, error)
}

// Who may do what with complaints (投诉): anyone logged in files one (the
// duty operator, the customer); a manager answers and closes it; a
// customer sees only its own.
const (
	complaintFileRole   = auth.RoleViewer
	complaintAnswerRole = auth.RoleManager
)

func (c *Console) complaints() (Complaints, bool) {
	cs, ok := c.o.Tickets.(Complaints)
	return cs, ok
}

// complaintRoutes adds /complaints when the ticket service keeps complaints.
func (c *Console) complaintRoutes(m *http.ServeMux) {
	if _, ok := c.complaints(); !ok {
		return
	}
	m.Handle("GET /complaints", c.RequireRole(auth.RoleViewer, http.HandlerFunc(c.complaintList)))
	m.Handle("POST /complaints", c.RequireRole(complaintFileRole, http.HandlerFunc(c.complaintFile)))
	m.Handle("POST /complaints/{id}/{do}", c.RequireRole(complaintAnswerRole, http.HandlerFunc(c.complaintAnswer)))
}

// complaintOwnOnly: a customer sees only the complaints it filed.
func complaintOwnOnly(u accounts.User) bool { return u.Role == auth.RoleCustomer }

// complaintRow is one complaint on the page.
type complaintRow struct {
	C                            tickets.Complaint
	Filed, Due, Replied, Closed  string
	FiledBy, RepliedBy, ClosedBy string
	MayAnswer, MayClose          bool
	CSRF                         string // the session's, for the forms
}

type complaintsData struct {
	Rows    []complaintRow
	Form    map[string]string
	MayFile bool
	OwnOnly bool
}

func (c *Console) complaintRows(r *http.Request, u accounts.User, f tickets.ComplaintFilter) ([]complaintRow, error) {
	cs, _ := c.complaints()
	if complaintOwnOnly(u) {
		f.FiledBy = u.Name
	}
	list, err := cs.Complaints(r.Context(), f)
	if err != nil {
		return nil, err
	}
	_, labels := c.people(r)
	who := func(n string) string {
		if l := labels[n]; l != "" {
			return l
		}
		return n
	}
	manager := u.Role >= complaintAnswerRole && !complaintOwnOnly(u)
	sess, _ := SessionFrom(r.Context())
	var out []complaintRow
	for _, cm := range list {
		out = append(out, complaintRow{C: cm, Filed: c.fmtTime(&cm.FiledAt), Due: c.fmtTime(&cm.DueAt),
			Replied: c.fmtTime(cm.RepliedAt), Closed: c.fmtTime(cm.ClosedAt), FiledBy: who(cm.FiledBy),
			RepliedBy: who(cm.RepliedBy), ClosedBy: who(cm.ClosedBy),
			MayAnswer: manager && cm.ClosedAt == nil, MayClose: manager && cm.RepliedAt != nil && cm.ClosedAt == nil,
			CSRF: sess.CSRF})
	}
	return out, nil
}

func (c *Console) renderComplaints(w http.ResponseWriter, r *http.Request, code int, p page, form map[string]string) {
	sess, _ := SessionFrom(r.Context())
	rows, err := c.complaintRows(r, sess.User, tickets.ComplaintFilter{Limit: 200})
	if err != nil {
		c.internalError(w, r, err)
		return
	}
	if form == nil {
		form = map[string]string{"ticket": r.URL.Query().Get("ticket")}
	}
	p.TitleKey = "complaints.title"
	p.Data = complaintsData{Rows: rows, Form: form, MayFile: sess.User.Role >= complaintFileRole, OwnOnly: complaintOwnOnly(sess.User)}
	c.render(w, r, code, "complaints", p)
}

// complaintList is GET /complaints: the complaints (a customer's own) and
// the form to file one.
func (c *Console) complaintList(w http.ResponseWriter, r *http.Request) {
	p := page{}
	switch {
	case r.URL.Query().Has("filed"):
		p.MsgKey = "complaints.filed"
	case r.URL.Query().Has("done"):
		p.MsgKey = "complaints.done"
	}
	c.renderComplaints(w, r, http.StatusOK, p, nil)
}

// complaintFile is POST /complaints, by (and attributed to) the logged-in
// person.
func (c *Console) complaintFile(w http.ResponseWriter, r *http.Request) {
	sess, _ := SessionFrom(r.Context())
	u := sess.User
	form := map[string]string{}
	for _, k := range []string{"text", "contact", "ticket"} {
		form[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	fail := func(key string, args ...string) {
		c.renderComplaints(w, r, http.StatusUnprocessableEntity, page{ErrKey: key, ErrArgs: args}, form)
	}
	req := tickets.ComplaintRequest{Text: form["text"], Contact: form["contact"], Actor: u.Name}
	if form["ticket"] != "" {
		id, err := strconv.ParseInt(strings.TrimPrefix(form["ticket"], "#"), 10, 64)
		if err != nil || id <= 0 {
			fail("complaints.err.ticket")
			return
		}
		// A customer complains only about a ticket it may see.
		t, err := c.o.Tickets.Get(r.Context(), id)
		if errors.Is(err, tickets.ErrNotFound) || (err == nil && !maysee(u, t.Site)) {
			fail("complaints.err.ticket")
			return
		}
		if err != nil {
			c.internalError(w, r, err)
			return
		}
		req.TicketID = id
	}
	if req.Text == "" {
		fail("complaints.err.text")
		return
	}
	cs, _ := c.complaints()
	if _, err := cs.FileComplaint(r.Context(), req); err != nil {
		if errors.Is(err, tickets.ErrInvalid) || errors.Is(err, tickets.ErrNotFound) {
			fail("complaints.err.invalid", "detail", err.Error())
			return
		}
		c.internalError(w, r, err)
		return
	}
	http.Redirect(w, r, "/complaints?filed=1", http.StatusSeeOther)
}

// complaintAnswer is POST /complaints/{id}/answer|close (a manager).
func (c *Console) complaintAnswer(w http.ResponseWriter, r *http.Request) {
	sess, _ := SessionFrom(r.Context())
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		c.notFound(w, r)
		return
	}
	cs, _ := c.complaints()
	switch r.PathValue("do") {
	case "answer":
		_, err = cs.AnswerComplaint(r.Context(), id, r.PostFormValue("reply"), sess.User.Name)
	case "close":
		_, err = cs.CloseComplaint(r.Context(), id, sess.User.Name)
	default:
		c.notFound(w, r)
		return
	}
	switch {
	case errors.Is(err, tickets.ErrNotFound):
		c.notFound(w, r)
	case errors.Is(err, tickets.ErrInvalid), errors.Is(err, tickets.ErrInvalidTransition):
		c.renderComplaints(w, r, http.StatusUnprocessableEntity, page{ErrKey: "complaints.err.invalid", ErrArgs: []string{"detail", err.Error()}}, nil)
	case err != nil:
		c.internalError(w, r, err)
	default:
		http.Redirect(w, r, "/complaints?done=1", http.StatusSeeOther)
	}
}

// ticketComplaints are the complaints about ticket id that u may see (for
// the ticket page); nil without a complaint store.
func (c *Console) ticketComplaints(r *http.Request, u accounts.User, id int64) []complaintRow {
	if _, ok := c.complaints(); !ok {
		return nil
	}
	rows, err := c.complaintRows(r, u, tickets.ComplaintFilter{TicketID: id})
	if err != nil {
		c.o.Logger.Warn("console: complaints of ticket", "ticket", id, "err", err)
		return nil
	}
	return rows
}
