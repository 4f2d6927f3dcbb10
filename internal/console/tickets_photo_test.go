package console_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/console"
)

// TestRegisterWithPhoto: the 报修登记 form files a photo (JPEG or PNG,
// checked by content) with the fault, attributed to the logged-in customer;
// the ticket page shows it; a customer of another site sees neither the
// ticket nor its photo, nor the ticket in its list (issue 13).
func TestRegisterWithPhoto(t *testing.T) {
	e := newDeskEnvWith(t, func(o *console.Options) { o.Sources.PhotoDir = t.TempDir() })
	const site = "城关派出所"
	jia := e.user(t, "jia", auth.RoleCustomer, site)
	yi := e.user(t, "yi", auth.RoleCustomer, "乙所")
	var img bytes.Buffer
	if err := png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 8, 6))); err != nil {
		t.Fatal(err)
	}
	register := func(c *http.Client, photo []byte) (*http.Response, string) {
		t.Helper()
		_, page := get(t, c, e.srv.URL+"/tickets/new")
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for k, v := range map[string]string{"csrf": csrfOf(t, page), "title": "派出所门禁不开", "level": "3", "channel": "phone",
			"site": site, "description": "见照片"} {
			mw.WriteField(k, v)
		}
		fw, _ := mw.CreateFormFile("photo", "门禁.png")
		fw.Write(photo)
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/tickets/new", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, body := register(jia, []byte("GIF89a not a photo")); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "JPG 或 PNG") {
		t.Errorf("a non-image: %s\n%.300s", resp.Status, body)
	}
	resp, _ := register(jia, img.Bytes())
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("register: %s", resp.Status)
	}
	loc := resp.Header.Get("Location")
	id := regexp.MustCompile(`/tickets/(\d+)`).FindStringSubmatch(loc)
	if id == nil {
		t.Fatalf("redirect %q", loc)
	}
	tk, err := e.tk.Service.Get(context.Background(), mustAtoi(t, id[1]))
	if err != nil {
		t.Fatal(err)
	}
	if len(tk.Photos) != 1 || tk.Events[0].Actor != "jia" || tk.Site != site {
		t.Fatalf("ticket photos %v, opened by %q, site %q", tk.Photos, tk.Events[0].Actor, tk.Site)
	}
	photoURL := "/tickets/" + id[1] + "/photos/" + tk.Photos[0]
	_, page := get(t, jia, e.srv.URL+"/tickets/"+id[1])
	if !strings.Contains(page, `id="ticket-photos"`) || !strings.Contains(page, photoURL) {
		t.Errorf("ticket page lacks the photo %s", photoURL)
	}
	r, got := get(t, jia, e.srv.URL+photoURL)
	if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "image/png" || got != img.String() {
		t.Errorf("photo: %s %s %d bytes", r.Status, r.Header.Get("Content-Type"), len(got))
	}
	for _, p := range []string{"/tickets/" + id[1], photoURL} {
		if r, _ := get(t, yi, e.srv.URL+p); r.StatusCode != http.StatusNotFound {
			t.Errorf("other customer GET %s: %s, want 404", p, r.Status)
		}
	}
	if _, list := get(t, yi, e.srv.URL+"/tickets"); strings.Contains(list, "派出所门禁不开") {
		t.Error("other customer's ticket list shows the ticket")
	}
	if _, list := get(t, jia, e.srv.URL+"/tickets"); !strings.Contains(list, "派出所门禁不开") {
		t.Error("the customer's own list lacks the ticket")
	}
}

func mustAtoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	for _, r := range s {
		n = n*10 + int64(r-'0')
	}
	return n
}
