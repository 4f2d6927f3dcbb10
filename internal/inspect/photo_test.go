package inspect

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func encoded(t testing.TB, format string) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 6, 4))
	var b bytes.Buffer
	var err error
	if format == "png" {
		err = png.Encode(&b, img)
	} else {
		err = jpeg.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSavePhoto(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pngB, jpgB := encoded(t, "png"), encoded(t, "jpeg")
	tests := []struct {
		name string
		data []byte
		max  int64
		ext  string // "" = refused
		why  string
	}{
		{"png", pngB, 0, ".png", ""},
		{"jpeg", jpgB, 0, ".jpg", ""},
		{"png again: same file", pngB, 0, ".png", ""},
		{"too large", pngB, int64(len(pngB) - 1), "", "larger than"},
		{"empty", nil, 0, "", "empty"},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), 0, "", "want a JPEG or PNG"},
		{"jpeg magic only", []byte("\xff\xd8\xff\xe0garbage"), 0, "", "not a readable jpg"},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`), 0, "", "want a JPEG or PNG"},
	}
	for _, tt := range tests {
		name, err := SavePhoto(dir, bytes.NewReader(tt.data), tt.max)
		if tt.ext == "" {
			if !errors.Is(err, ErrBadPhoto) || !strings.Contains(err.Error(), tt.why) {
				t.Errorf("%s: %q, %v; want ErrBadPhoto naming %q", tt.name, name, err, tt.why)
			}
			continue
		}
		if err != nil || filepath.Ext(name) != tt.ext {
			t.Errorf("%s: %q, %v", tt.name, name, err)
			continue
		}
		if _, ok := PhotoName(name); !ok {
			t.Errorf("%s: %q is not a photo name", tt.name, name)
		}
		if got, _ := os.ReadFile(filepath.Join(dir, name)); !bytes.Equal(got, tt.data) {
			t.Errorf("%s: stored content differs", tt.name)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("%d files in the photo directory, want 2 (no temporary files left)", len(ents))
	}
}

// FuzzSavePhoto: any bytes give a clear error or a stored, decodable image.
func FuzzSavePhoto(f *testing.F) {
	f.Add(encoded(f, "png"))
	f.Add(encoded(f, "jpeg"))
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
	f.Add([]byte("\xff\xd8\xff"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		name, err := SavePhoto(dir, bytes.NewReader(data), 1<<16)
		if err != nil {
			if !errors.Is(err, ErrBadPhoto) {
				t.Fatalf("error not ErrBadPhoto: %v", err)
			}
			return
		}
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("accepted %q but stored %d bytes: %v", name, len(got), err)
		}
		if _, _, err := image.DecodeConfig(bytes.NewReader(got)); err != nil {
			t.Fatalf("accepted an undecodable image: %v", err)
		}
	})
}
