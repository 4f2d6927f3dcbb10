package inspect

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig of uploaded photos
	_ "image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
)

// MaxPhotoBytes is the default size limit of a photo.
const MaxPhotoBytes = 8 << 20

// ErrBadPhoto is returned for an upload that is not a JPEG or PNG image of
// acceptable size.
var ErrBadPhoto = errors.New("bad photo")

var photoRE = regexp.MustCompile(`^([0-9a-f]{64})\.(jpg|png)$`)

// PhotoName reports whether name is a stored photo's name ("<sha256>.jpg|png")
// and returns its SHA-256.
func PhotoName(name string) (sha string, ok bool) {
	m := photoRE.FindStringSubmatch(name)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// PhotoContentType returns the content type of a stored photo's name.
func PhotoContentType(name string) string {
	if filepath.Ext(name) == ".png" {
		return "image/png"
	}
	return "image/jpeg"
}

// ErrPhotoMissing is ServePhoto's error when the stored file cannot be
// opened: nothing was written, the caller answers 404.
var ErrPhotoMissing = errors.New("photo missing")

// ServePhoto writes the stored photo dir/name to w with its content type,
// nosniff and a long private cache (a stored photo is named by its
// content's hash, so it never changes). An error wrapping ErrPhotoMissing
// means nothing was written; any other is the copy's, only worth logging.
func ServePhoto(w http.ResponseWriter, dir, name string) error {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrPhotoMissing, name, err)
	}
	defer f.Close()
	w.Header().Set("Content-Type", PhotoContentType(name))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	_, err = io.Copy(w, f)
	return err
}

// SavePhoto checks that r holds one JPEG or PNG image of at most max bytes
// (MaxPhotoBytes when max <= 0), by its content, not its name, and stores it
// as dir/<sha256>.<ext>. It returns the file name, which the completion
// records so that the hash chain covers the photo's content. Saving the same
// photo twice keeps one file.
func SavePhoto(dir string, r io.Reader, max int64) (string, error) {
	if max <= 0 {
		max = MaxPhotoBytes
	}
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return "", fmt.Errorf("read photo: %w", err)
	}
	if int64(len(data)) > max {
		return "", fmt.Errorf("%w: larger than %d bytes", ErrBadPhoto, max)
	}
	if len(data) == 0 {
		return "", fmt.Errorf("%w: empty", ErrBadPhoto)
	}
	var ext string
	switch ct := http.DetectContentType(data); ct {
	case "image/jpeg":
		ext = "jpg"
	case "image/png":
		ext = "png"
	default:
		return "", fmt.Errorf("%w: content is %s; want a JPEG or PNG image", ErrBadPhoto, ct)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("%w: not a readable %s: %v", ErrBadPhoto, ext, err)
	}
	if (format == "jpeg") != (ext == "jpg") || cfg.Width <= 0 || cfg.Height <= 0 {
		return "", fmt.Errorf("%w: image header does not match its content", ErrBadPhoto)
	}
	sum := sha256.Sum256(data)
	name := hex.EncodeToString(sum[:]) + "." + ext
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("photo directory: %w", err)
	}
	dst := filepath.Join(dir, name)
	if _, err := os.Stat(dst); err == nil {
		return name, nil
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return "", fmt.Errorf("store photo: %w", err)
	}
	_, werr := tmp.Write(data)
	if err := errors.Join(werr, tmp.Sync(), tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("store photo: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("store photo: %w", err)
	}
	return name, nil
}

// PhotoProblem is a photo a completion names whose file is missing or changed.
type PhotoProblem struct {
	Inspection int64  `json:"inspection"`
	Photo      string `json:"photo"`
	Reason     string `json:"reason"`
}

// VerifyPhotos checks that every photo named by a completion exists in dir
// and still has the SHA-256 its name (covered by the hash chain) records.
func (s *Store) VerifyPhotos(ctx context.Context, dir string) (checked int, problems []PhotoProblem, err error) {
	rows, err := s.db.QueryContext(ctx, `SELECT inspection, body FROM entries WHERE kind = 'complete' ORDER BY seq`)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var id int64
		var body string
		if err := rows.Scan(&id, &body); err != nil {
			return checked, problems, err
		}
		var c completionEntry
		if err := json.Unmarshal([]byte(body), &c); err != nil || c.Photo == "" || seen[c.Photo] {
			continue
		}
		seen[c.Photo] = true
		checked++
		sha, ok := PhotoName(c.Photo)
		if !ok {
			problems = append(problems, PhotoProblem{id, c.Photo, "not a photo name"})
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, c.Photo))
		if err != nil {
			problems = append(problems, PhotoProblem{id, c.Photo, "missing: " + err.Error()})
			continue
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != sha {
			problems = append(problems, PhotoProblem{id, c.Photo, "content was changed (sha256 mismatch)"})
		}
	}
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Inspection < problems[j].Inspection })
	return checked, problems, rows.Err()
}
