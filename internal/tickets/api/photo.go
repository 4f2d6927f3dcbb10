package api

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// manualFromMultipart reads a registration sent as multipart/form-data: a
// part "ticket" with the Manual as JSON and an optional part "photo" (a JPEG
// or PNG image, at most inspect.MaxPhotoBytes), stored in PhotoDir like the
// inspection photos.
func (h *handler) manualFromMultipart(w http.ResponseWriter, r *http.Request) (tickets.Manual, bool) {
	var m tickets.Manual
	r.Body = http.MaxBytesReader(w, r.Body, h.o.MaxBody)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			auth.WriteError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", h.o.MaxBody))
			return m, false
		}
		auth.WriteError(w, http.StatusBadRequest, "multipart form: "+err.Error())
		return m, false
	}
	defer r.MultipartForm.RemoveAll()
	if err := decodeBody([]byte(r.FormValue("ticket")), &m); err != nil {
		h.fail(w, r, err)
		return m, false
	}
	files := r.MultipartForm.File["photo"]
	if len(files) == 0 {
		return m, true
	}
	if len(files) > 1 {
		auth.WriteError(w, http.StatusBadRequest, "one photo per registration")
		return m, false
	}
	if h.o.PhotoDir == "" {
		auth.WriteError(w, http.StatusBadRequest, "this collector keeps no photos (no data directory)")
		return m, false
	}
	f, err := files[0].Open()
	if err != nil {
		h.fail(w, r, err)
		return m, false
	}
	defer f.Close()
	name, err := inspect.SavePhoto(h.o.PhotoDir, f, h.o.MaxPhoto)
	if errors.Is(err, inspect.ErrBadPhoto) {
		auth.WriteError(w, http.StatusBadRequest, err.Error())
		return m, false
	}
	if err != nil {
		h.fail(w, r, err)
		return m, false
	}
	m.Photo = name
	return m, true
}

// isMultipart reports whether r's body is multipart/form-data.
func isMultipart(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

// photo serves a photo filed with the ticket (GET
// /api/v1/tickets/{id}/photos/{photo}).
func (h *handler) photo(w http.ResponseWriter, r *http.Request) {
	id, ok := parseID(w, r)
	if !ok {
		return
	}
	t, err := h.o.Service.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	name := r.PathValue("photo")
	if _, ok := inspect.PhotoName(name); !ok || !slices.Contains(t.Photos, name) || h.o.PhotoDir == "" {
		h.fail(w, r, fmt.Errorf("%w: ticket %d has no photo %q", tickets.ErrNotFound, id, name))
		return
	}
	if err := inspect.ServePhoto(w, h.o.PhotoDir, name); errors.Is(err, inspect.ErrPhotoMissing) {
		h.fail(w, r, fmt.Errorf("%w: %v", tickets.ErrNotFound, err))
	} else if err != nil {
		h.o.Logger.Warn("serve photo", "photo", name, "err", err)
	}
}
