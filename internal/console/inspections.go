package console

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/report"
)

// maxUpload bounds a multipart request: one photo and the form's fields.
const maxUpload = inspect.MaxPhotoBytes + 64<<10

// documentCSP is the policy of a downloaded check sheet or report viewed in
// the browser: the document's own inline style, no script at all.
const documentCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func isMultipart(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "multipart/form-data"
}

// mayCountersign: the bureau's representative, or an admin repairing
// records; never the contractor's engineers and managers (as in the
// inspections API).
func mayCountersign(r auth.Role) bool { return r == auth.RoleCustomer || r == auth.RoleAdmin }

type inspectionItem struct {
	ID                                 int64
	Title, RhythmKey, Period, Finished string
	StatusKey                          string
	Totals                             inspect.Totals
}

type templateChoice struct{ Name, Title string }

type inspectionsView struct {
	Absent    bool
	Items     []inspectionItem
	Templates []templateChoice
	CanRun    bool
}

func statusKey(s string) string { return "inspections.status." + s }

func (c *Console) title(lang, zh, en string) string {
	if lang == "en" && en != "" {
		return en
	}
	return zh
}

func (c *Console) inspectionList(w http.ResponseWriter, r *http.Request) {
	v := inspectionsView{Absent: c.o.Sources.Inspections == nil}
	u := user(r)
	if !v.Absent {
		list, err := c.o.Sources.Inspections.List(r.Context(), inspect.Filter{Limit: 50})
		if err != nil {
			c.internalError(w, r, err)
			return
		}
		for _, s := range list {
			v.Items = append(v.Items, inspectionItem{
				ID: s.ID, Title: s.Title, RhythmKey: "inspections.rhythm." + string(s.Rhythm),
				Period: c.when(s.PeriodStart) + " – " + c.when(s.PeriodEnd), Finished: c.when(s.FinishedAt),
				StatusKey: statusKey(s.Status), Totals: s.Totals,
			})
		}
		if c.o.Sources.Runner != nil && u.Role >= auth.RoleEngineer {
			v.CanRun = true
			for _, t := range c.o.Sources.Templates {
				v.Templates = append(v.Templates, templateChoice{Name: t.Name, Title: c.title(langOf(r), t.Title, t.TitleEN)})
			}
		}
	}
	p := page{TitleKey: "inspections.title", Data: v}
	if r.URL.Query().Has("failed") {
		p.ErrKey = "inspections.run_failed"
	}
	c.render(w, r, http.StatusOK, "inspections", p)
}

func (c *Console) inspectionRun(w http.ResponseWriter, r *http.Request) {
	if c.o.Sources.Runner == nil || c.o.Sources.Inspections == nil {
		c.notFound(w, r)
		return
	}
	name := r.PostFormValue("template")
	for _, t := range c.o.Sources.Templates {
		if t.Name != name {
			continue
		}
		in, err := c.o.Sources.Runner.Run(r.Context(), t, inspect.RunOptions{Trigger: "console", Actor: user(r).Name})
		if err != nil {
			c.o.Logger.Error("console: run inspection", "template", name, "err", err)
			http.Redirect(w, r, "/inspections?failed=1", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/inspections/"+strconv.FormatInt(in.ID, 10), http.StatusSeeOther)
		return
	}
	c.notFound(w, r)
}

type rowView struct {
	Device, Display, Site, Item, Name string
	Verdict, VerdictKey               string
	Value, Reason, Note               string
	Photo                             string // URL
	CheckedBy, CheckedAt              string
	Ticket                            int64
}

type signatureView struct {
	RoleKey, User, Title, Note, At string
}

type sheetView struct {
	ID                                   int64
	PDFOK                                bool // the sheet prints to PDF on the server
	Title, Period, Finished, StatusKey   string
	Totals                               inspect.Totals
	Pending                              []rowView
	Notable                              []rowView
	Others                               int
	Signatures                           []signatureView
	CanComplete, CanSign, CanCountersign bool
	PhotoOK                              bool
}

func (c *Console) inspectionID(r *http.Request) (id int64, ext string, ok bool) {
	base, ext, _ := strings.Cut(r.PathValue("id"), ".")
	id, err := strconv.ParseInt(base, 10, 64)
	return id, ext, err == nil && id > 0
}

// inspectionSheet shows an inspection (GET /inspections/{id}), or downloads
// its check sheet as /inspections/{id}.html, .xlsx or .pdf.
func (c *Console) inspectionSheet(w http.ResponseWriter, r *http.Request) {
	id, ext, ok := c.inspectionID(r)
	if !ok || c.o.Sources.Inspections == nil {
		c.notFound(w, r)
		return
	}
	in, err := c.o.Sources.Inspections.Get(r.Context(), id)
	if errors.Is(err, inspect.ErrNotFound) {
		c.notFound(w, r)
		return
	}
	if err != nil {
		c.internalError(w, r, err)
		return
	}
	switch ext {
	case "":
	case "html":
		w.Header().Set("Content-Security-Policy", documentCSP)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := report.WriteHTML(w, in, c.o.Sources.Sheet); err != nil {
			c.o.Logger.Error("console: check sheet", "id", id, "err", err)
		}
		return
	case "pdf":
		c.sendPDF(w, r, fmt.Sprintf("inspection-%d", id), func(b *bytes.Buffer) error { return report.WriteHTML(b, in, c.o.Sources.Sheet) })
		return
	case "xlsx":
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="inspection-%d.xlsx"`, id))
		w.Header().Set("Cache-Control", "no-store")
		if err := report.WriteExcel(w, in, c.o.Sources.Sheet); err != nil {
			c.o.Logger.Error("console: check sheet", "id", id, "err", err)
		}
		return
	default:
		c.notFound(w, r)
		return
	}
	c.renderSheet(w, r, http.StatusOK, in, page{})
}

func (c *Console) renderSheet(w http.ResponseWriter, r *http.Request, code int, in *inspect.Inspection, p page) {
	u := user(r)
	lang := langOf(r)
	v := sheetView{
		ID: in.ID, Title: c.title(lang, in.Title, in.TitleEN),
		Period:   c.when(in.PeriodStart) + " – " + c.when(in.PeriodEnd),
		Finished: c.when(in.FinishedAt), StatusKey: statusKey(in.Status), Totals: in.Totals,
		PhotoOK: c.o.Sources.PhotoDir != "", PDFOK: c.pdfOK(),
	}
	_, engSigned := in.Signed(inspect.RoleEngineer)
	_, custSigned := in.Signed(inspect.RoleCustomer)
	v.CanComplete = u.Role >= auth.RoleEngineer && !engSigned
	v.CanSign = u.Role >= auth.RoleEngineer && !engSigned && in.Totals.Pending == 0
	v.CanCountersign = mayCountersign(u.Role) && engSigned && !custSigned
	for _, row := range in.Rows {
		rv := rowView{
			Device: row.Device, Display: row.Display, Site: row.Site, Item: row.Item,
			Name: c.title(lang, row.Name, row.NameEN), Verdict: string(row.Verdict),
			VerdictKey: "inspections.verdict." + string(row.Verdict), Reason: row.Reason,
			Note: row.Evidence.Note, CheckedBy: row.CheckedBy, CheckedAt: c.when(row.CheckedAt), Ticket: row.TicketID,
		}
		if rv.Display == "" {
			rv.Display = row.Device
		}
		if row.Value != nil {
			rv.Value = strconv.FormatFloat(*row.Value, 'g', 6, 64) + row.Unit
		}
		if _, ok := inspect.PhotoName(row.Evidence.Photo); ok {
			rv.Photo = fmt.Sprintf("/inspections/%d/photos/%s", in.ID, row.Evidence.Photo)
		}
		switch {
		case row.Verdict == inspect.Pending:
			v.Pending = append(v.Pending, rv)
		case row.Verdict != inspect.Normal || rv.Photo != "" || row.CheckedBy != "":
			v.Notable = append(v.Notable, rv)
		default:
			v.Others++
		}
	}
	for _, s := range in.Signatures {
		v.Signatures = append(v.Signatures, signatureView{RoleKey: "inspections.signed_as." + s.Role, User: s.User, Title: s.Title, Note: s.Note, At: c.when(s.At)})
	}
	p.TitleKey = "inspections.sheet_title"
	p.Data = v
	if p.MsgKey == "" {
		switch {
		case r.URL.Query().Has("done"):
			p.MsgKey = "inspections.item_done"
		case r.URL.Query().Has("signed"):
			p.MsgKey = "inspections.signed"
		}
	}
	c.render(w, r, code, "inspection", p)
}

// inspectionPhoto serves a photo that a row of the inspection names.
func (c *Console) inspectionPhoto(w http.ResponseWriter, r *http.Request) {
	id, ext, ok := c.inspectionID(r)
	if !ok || ext != "" || c.o.Sources.Inspections == nil || c.o.Sources.PhotoDir == "" {
		c.notFound(w, r)
		return
	}
	in, err := c.o.Sources.Inspections.Get(r.Context(), id)
	if err != nil {
		c.notFound(w, r)
		return
	}
	want := r.PathValue("photo")
	found := false
	for _, row := range in.Rows {
		if _, ok := inspect.PhotoName(row.Evidence.Photo); ok && row.Evidence.Photo == want {
			found = true
			break
		}
	}
	if !found {
		c.notFound(w, r)
		return
	}
	if err := inspect.ServePhoto(w, c.o.Sources.PhotoDir, want); errors.Is(err, inspect.ErrPhotoMissing) {
		c.notFound(w, r)
	} else if err != nil {
		c.o.Logger.Warn("console: photo", "photo", want, "err", err)
	}
}

// inspectionComplete records an engineer's result for a pending row: the
// form's device, item, verdict and note, and an optional photo (taken with
// the phone's camera), attributed to the logged-in account.
func (c *Console) inspectionComplete(w http.ResponseWriter, r *http.Request) {
	id, ext, ok := c.inspectionID(r)
	if !ok || ext != "" || c.o.Sources.Inspections == nil {
		c.notFound(w, r)
		return
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		c.sheetError(w, r, id, http.StatusBadRequest, "inspections.bad_form", nil)
		return
	}
	u := user(r)
	comp := inspect.Completion{
		Device: r.PostFormValue("device"), Item: r.PostFormValue("item"),
		Verdict: inspect.Verdict(r.PostFormValue("verdict")), Note: strings.TrimSpace(r.PostFormValue("note")),
		User: u.Name, Role: u.Role.String(),
	}
	if comp.Verdict != inspect.Normal && comp.Verdict != inspect.Warning && comp.Verdict != inspect.Abnormal {
		c.sheetError(w, r, id, http.StatusUnprocessableEntity, "inspections.need_verdict", nil)
		return
	}
	if r.MultipartForm != nil && len(r.MultipartForm.File["photo"]) > 0 {
		fh := r.MultipartForm.File["photo"][0]
		if c.o.Sources.PhotoDir == "" {
			c.sheetError(w, r, id, http.StatusUnprocessableEntity, "inspections.no_photos", nil)
			return
		}
		f, err := fh.Open()
		if err != nil {
			c.internalError(w, r, err)
			return
		}
		name, err := inspect.SavePhoto(c.o.Sources.PhotoDir, f, 0)
		f.Close()
		if errors.Is(err, inspect.ErrBadPhoto) {
			c.sheetError(w, r, id, http.StatusUnprocessableEntity, "inspections.bad_photo", nil)
			return
		}
		if err != nil {
			c.internalError(w, r, err)
			return
		}
		comp.Photo = name
	}
	_, err := c.o.Sources.Inspections.Complete(r.Context(), id, comp, c.o.Clock.Now())
	switch {
	case errors.Is(err, inspect.ErrNotFound):
		c.sheetError(w, r, id, http.StatusNotFound, "inspections.no_row", nil)
		return
	case errors.Is(err, inspect.ErrConflict):
		c.sheetError(w, r, id, http.StatusConflict, "inspections.conflict", nil)
		return
	case err != nil:
		c.sheetError(w, r, id, http.StatusUnprocessableEntity, "inspections.rejected", []string{"reason", err.Error()})
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/inspections/%d?done=1", id), http.StatusSeeOther)
}

// inspectionSign signs the sheet as the logged-in account: role engineer
// (the engineer's sign-off) or customer (the bureau's countersignature,
// from the representative's own account).
func (c *Console) inspectionSign(w http.ResponseWriter, r *http.Request) {
	id, ext, ok := c.inspectionID(r)
	if !ok || ext != "" || c.o.Sources.Inspections == nil {
		c.notFound(w, r)
		return
	}
	u := user(r)
	role := r.PostFormValue("role")
	switch {
	case role == inspect.RoleCustomer && !mayCountersign(u.Role),
		role == inspect.RoleEngineer && u.Role < auth.RoleEngineer:
		c.forbidden(w, r, "error.role")
		return
	case role != inspect.RoleCustomer && role != inspect.RoleEngineer:
		c.sheetError(w, r, id, http.StatusBadRequest, "inspections.bad_form", nil)
		return
	}
	sig := inspect.Signature{Role: role, User: signerName(u), Title: strings.TrimSpace(r.PostFormValue("title")),
		Note: strings.TrimSpace(r.PostFormValue("note")), At: c.o.Clock.Now()}
	_, err := c.o.Sources.Inspections.Sign(r.Context(), id, sig)
	switch {
	case errors.Is(err, inspect.ErrNotFound):
		c.notFound(w, r)
		return
	case errors.Is(err, inspect.ErrConflict):
		c.sheetError(w, r, id, http.StatusConflict, "inspections.sign_conflict", nil)
		return
	case err != nil:
		c.sheetError(w, r, id, http.StatusUnprocessableEntity, "inspections.rejected", []string{"reason", err.Error()})
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/inspections/%d?signed=1", id), http.StatusSeeOther)
}

// signerName is the name a signature records: the account's display name
// with its login name, so that the sheet shows a person and the record
// stays traceable to the account.
func signerName(u accounts.User) string {
	if u.DisplayName == "" || u.DisplayName == u.Name {
		return u.Name
	}
	return u.DisplayName + " (" + u.Name + ")"
}

func (c *Console) sheetError(w http.ResponseWriter, r *http.Request, id int64, code int, key string, args []string) {
	in, err := c.o.Sources.Inspections.Get(r.Context(), id)
	if err != nil {
		c.notFound(w, r)
		return
	}
	c.renderSheet(w, r, code, in, page{ErrKey: key, ErrArgs: args})
}
