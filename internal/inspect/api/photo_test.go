package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/inventory"
)

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, x%h, color.RGBA{200, 0, 0, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type part struct{ name, file, body string }

func multipartBody(t *testing.T, parts []part) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.file != "" {
			w, err = mw.CreateFormFile(p.name, p.file)
		} else {
			w, err = mw.CreateFormField(p.name)
		}
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p.body)
	}
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

func TestPhotoUploadAndAuth(t *testing.T) {
	t.Parallel()
	sh, _ := time.LoadLocation("Asia/Shanghai")
	clk := clockwork.NewFakeClockAt(time.Date(2026, 4, 15, 9, 30, 0, 0, sh))
	dir := t.TempDir()
	st, err := inspect.OpenStore(filepath.Join(dir, "i.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tm, err := inspect.ParseTemplate("y.yml", []byte("name: yearly\ntitle: 年度防雷接地检测记录表\nrhythm: yearly\nitems: [{id: lightning_test, name: 防雷接地检测, name_en: Lightning test, scope: site, manual: {hint: 接地电阻, photo: true}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Inventory{Sites: []inventory.Site{{Name: "central"}, {Name: "east"}}}
	r, err := inspect.NewRunner(inspect.Options{Inventory: inv, Store: st, Clock: clk, Location: sh})
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(auth.Config{Tokens: []auth.Token{
		{Name: "viewer", Token: "v-tok-0123456789ab", Role: auth.RoleViewer},
		{Name: "zhang", Token: "e-tok-0123456789ab", Role: auth.RoleEngineer},
	}})
	if err != nil {
		t.Fatal(err)
	}
	photos := filepath.Join(dir, "photos")
	srv := httptest.NewServer(New(Options{Store: st, Runner: r, Templates: []*inspect.Template{tm}, Clock: clk,
		Auth: a, PhotoDir: photos, MaxPhotoBytes: 64 << 10}))
	defer srv.Close()
	send := func(method, path, token, ctype string, body []byte) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := send("POST", "/api/v1/inspections", "e-tok-0123456789ab", "application/json", []byte(`{"template":"yearly"}`)); code != 201 {
		t.Fatalf("run: %d", code)
	}

	img := pngBytes(t, 40, 30)
	sum := sha256.Sum256(img)
	sha := hex.EncodeToString(sum[:])
	big := append(pngBytes(t, 8, 8), bytes.Repeat([]byte{0}, 70<<10)...)
	fields := func(photo part) []part {
		ps := []part{{name: "device", body: "central"}, {name: "item", body: "lightning_test"},
			{name: "verdict", body: "normal"}, {name: "value", body: "2.1"}, {name: "note", body: "接地电阻2.1Ω"}}
		if photo.name != "" {
			ps = append(ps, photo)
		}
		return ps
	}
	bad := []struct {
		name  string
		parts []part
		want  string
	}{
		{"text renamed .jpg", fields(part{"photo", "x.jpg", "just some text, not an image"}), "want a JPEG or PNG"},
		{"html", fields(part{"photo", "x.png", "<html><script>alert(1)</script></html>"}), "want a JPEG or PNG"},
		{"png magic, broken header", fields(part{"photo", "x.png", "\x89PNG\r\n\x1a\n" + strings.Repeat("x", 40)}), "not a readable png"},
		{"too large", fields(part{"photo", "big.png", string(big)}), "larger than"},
		{"empty", fields(part{"photo", "e.png", ""}), "empty"},
		{"unknown field", append(fields(part{}), part{name: "colour", body: "red"}), "unknown field"},
		{"bad value", []part{{name: "device", body: "central"}, {name: "value", body: "two"}}, "value"},
	}
	for _, c := range bad {
		ct, body := multipartBody(t, c.parts)
		code, resp := send("POST", "/api/v1/inspections/1/items", "e-tok-0123456789ab", ct, body)
		if code != http.StatusBadRequest || !strings.Contains(resp, c.want) {
			t.Errorf("%s: HTTP %d %s, want 400 naming %q", c.name, code, resp, c.want)
		}
	}
	if ents, _ := os.ReadDir(photos); len(ents) != 0 {
		t.Errorf("refused uploads left %d files in the photo directory", len(ents))
	}
	// A JSON completion may not name a photo that was never uploaded.
	code, resp := send("POST", "/api/v1/inspections/1/items", "e-tok-0123456789ab", "application/json",
		[]byte(`{"device":"central","item":"lightning_test","verdict":"normal","photo":"`+sha+`.png"}`))
	if code != http.StatusBadRequest || !strings.Contains(resp, "was not uploaded") {
		t.Errorf("JSON naming an unknown photo: %d %s", code, resp)
	}

	ct, body := multipartBody(t, fields(part{"photo", "现场.png", string(img)}))
	if code, _ := send("POST", "/api/v1/inspections/1/items", "v-tok-0123456789ab", ct, body); code != http.StatusForbidden {
		t.Errorf("viewer completing: HTTP %d, want 403", code)
	}
	code, resp = send("POST", "/api/v1/inspections/1/items", "e-tok-0123456789ab", ct, body)
	if code != http.StatusOK {
		t.Fatalf("upload: HTTP %d %s", code, resp)
	}
	var in inspect.Inspection
	if err := json.Unmarshal([]byte(resp), &in); err != nil {
		t.Fatal(err)
	}
	var row inspect.Row
	for _, r := range in.Rows {
		if r.Device == "central" {
			row = r
		}
	}
	if row.Evidence.Photo != sha+".png" || row.CheckedBy != "zhang" || row.Value == nil || *row.Value != 2.1 || row.Verdict != inspect.Normal {
		t.Errorf("completed row %+v", row)
	}
	if got, err := os.ReadFile(filepath.Join(photos, sha+".png")); err != nil || !bytes.Equal(got, img) {
		t.Errorf("stored photo: %v", err)
	}
	for _, name := range []string{sha, sha + ".png"} {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/inspections/1/photos/"+name, nil)
		req.Header.Set("Authorization", "Bearer v-tok-0123456789ab")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || !bytes.Equal(b, img) {
			t.Errorf("GET photo %s: %d %s, %d bytes", name, res.StatusCode, res.Header.Get("Content-Type"), len(b))
		}
	}
	if code, _ := send("GET", "/api/v1/inspections/1/photos/"+sha, "", "", nil); code != http.StatusUnauthorized {
		t.Errorf("photo without a token: HTTP %d, want 401", code)
	}
	if code, _ := send("GET", "/api/v1/inspections/1/photos/"+strings.Repeat("0", 64), "v-tok-0123456789ab", "", nil); code != http.StatusNotFound {
		t.Errorf("photo not on this inspection: HTTP %d, want 404", code)
	}
	if code, _ := send("GET", "/api/v1/inspections/1/photos/..%2f..%2fi.db", "v-tok-0123456789ab", "", nil); code != http.StatusNotFound {
		t.Errorf("path traversal: HTTP %d, want 404", code)
	}

	// The chain covers the photo: its hash is in the completion; VerifyPhotos finds a swapped file.
	if res, err := st.Verify(t.Context()); err != nil || !res.OK {
		t.Fatalf("verify %+v %v", res, err)
	}
	n, probs, err := st.VerifyPhotos(t.Context(), photos)
	if err != nil || n != 1 || len(probs) != 0 {
		t.Fatalf("verify photos: %d %v %v", n, probs, err)
	}
	if err := os.WriteFile(filepath.Join(photos, sha+".png"), pngBytes(t, 41, 30), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, probs, _ := st.VerifyPhotos(t.Context(), photos); len(probs) != 1 || !strings.Contains(probs[0].Reason, "sha256 mismatch") || probs[0].Inspection != 1 {
		t.Errorf("swapped photo: %+v", probs)
	}
}
