package console

import (
	"errors"
	"net/http"
	"slices"

	"github.com/roomwatch/roomwatch/internal/inspect"
)

// registerPhoto stores the photo of a 报修登记 form (field "photo", optional):
// one JPEG or PNG image checked by its content, at most
// inspect.MaxPhotoBytes, kept with the inspection photos. It returns the
// stored name, or the error key of the form.
func (c *Console) registerPhoto(r *http.Request) (string, string) {
	if r.MultipartForm == nil || len(r.MultipartForm.File["photo"]) == 0 {
		return "", ""
	}
	fh := r.MultipartForm.File["photo"][0]
	if fh.Size == 0 {
		return "", "" // the file input left empty
	}
	if c.o.Sources.PhotoDir == "" {
		return "", "tickets.new.no_photos"
	}
	f, err := fh.Open()
	if err != nil {
		return "", "tickets.new.bad_photo"
	}
	defer f.Close()
	name, err := inspect.SavePhoto(c.o.Sources.PhotoDir, f, 0)
	if errors.Is(err, inspect.ErrBadPhoto) {
		return "", "tickets.new.bad_photo"
	}
	if err != nil {
		c.o.Logger.Error("console: store photo", "err", err)
		return "", "tickets.new.bad_photo"
	}
	return name, ""
}

// ticketPhoto is GET /tickets/{id}/photos/{photo}: a photo filed with a
// ticket the user may see.
func (c *Console) ticketPhoto(w http.ResponseWriter, r *http.Request) {
	t, ok := c.loadTicket(w, r) // a customer's other sites: 404
	if !ok {
		return
	}
	name := r.PathValue("photo")
	if _, ok := inspect.PhotoName(name); !ok || !slices.Contains(t.Photos, name) || c.o.Sources.PhotoDir == "" {
		c.notFound(w, r)
		return
	}
	if err := inspect.ServePhoto(w, c.o.Sources.PhotoDir, name); errors.Is(err, inspect.ErrPhotoMissing) {
		c.notFound(w, r)
	} else if err != nil {
		c.o.Logger.Warn("console: ticket photo", "photo", name, "err", err)
	}
}
