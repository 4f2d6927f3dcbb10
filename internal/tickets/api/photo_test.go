package api_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/tickets/api"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

func pngBytes(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 3))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// multipartTicket builds a registration with an optional photo.
func multipartTicket(t *testing.T, manual string, photo []byte) (string, *bytes.Buffer) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.WriteField("ticket", manual); err != nil {
		t.Fatal(err)
	}
	if photo != nil {
		fw, err := mw.CreateFormFile("photo", "现场.png")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(photo)
	}
	mw.Close()
	return mw.FormDataContentType(), &body
}

// TestCreateWithPhoto: POST /api/v1/tickets as multipart/form-data files a
// photo with the fault; it is stored by content, listed in photos and served;
// anything but a JPEG or PNG image, or one too large, is refused.
func TestCreateWithPhoto(t *testing.T) {
	t.Parallel()
	env := ticketstest.New(t, nil)
	a, err := auth.New(auth.Config{Tokens: []auth.Token{{Name: "zhang", Token: engineerTok, Role: auth.RoleEngineer}}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.NewHandler(api.Options{Service: env.Service, Auth: a, Clock: env.Clock, PhotoDir: t.TempDir(), MaxPhoto: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	post := func(ct string, body io.Reader) (int, map[string]any) {
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/tickets", body)
		req.Header.Set("Authorization", "Bearer "+engineerTok)
		req.Header.Set("Content-Type", ct)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	big := append(pngBytes(t), make([]byte, 2<<10)...)
	tests := []struct {
		name   string
		manual string
		photo  []byte
		want   int
	}{
		{"with a PNG", `{"title":"机柜漏水","level":"II"}`, pngBytes(t), 201},
		{"without a photo", `{"title":"机柜漏水","level":"II"}`, nil, 201},
		{"a text file", `{"title":"x","level":"II"}`, []byte("not an image at all"), 400},
		{"too large", `{"title":"x","level":"II"}`, big, 400},
		{"bad ticket JSON", `{"title":`, pngBytes(t), 400},
		{"client may not name a photo", `{"title":"x","level":"II","photo":"abc.png"}`, nil, 400},
	}
	for _, tc := range tests {
		ct, body := multipartTicket(t, tc.manual, tc.photo)
		code, m := post(ct, body)
		if code != tc.want {
			t.Errorf("%s: %d %v, want %d", tc.name, code, m, tc.want)
			continue
		}
		if code != 201 {
			continue
		}
		photos, _ := m["photos"].([]any)
		if (tc.photo != nil) != (len(photos) == 1) {
			t.Errorf("%s: photos %v", tc.name, photos)
			continue
		}
		if tc.photo == nil {
			continue
		}
		id := int64(m["id"].(float64))
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/tickets/"+itoa(id)+"/photos/"+photos[0].(string), nil)
		req.Header.Set("Authorization", "Bearer "+engineerTok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(got, tc.photo) {
			t.Errorf("%s: photo %d %s, %d bytes", tc.name, resp.StatusCode, resp.Header.Get("Content-Type"), len(got))
		}
		// Another ticket does not serve it.
		req, _ = http.NewRequest("GET", srv.URL+"/api/v1/tickets/"+itoa(id+1)+"/photos/"+photos[0].(string), nil)
		req.Header.Set("Authorization", "Bearer "+engineerTok)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 404 {
			t.Errorf("%s: photo on another ticket: %v %v", tc.name, resp.Status, err)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
