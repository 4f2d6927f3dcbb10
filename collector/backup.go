package collector

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/integrity"
	"github.com/roomwatch/roomwatch/internal/store"
)

// BackupManifest is written as manifest.json in a backup directory.
type BackupManifest struct {
	CreatedAt time.Time `json:"created_at"`
	Files     []string  `json:"files"`
}

// manifestName is the manifest's file name in a backup.
const manifestName = "manifest.json"

// Backup takes a consistent copy of the data directory d into out (which
// must not exist or be empty) while it may be in use: each SQLite database
// by VACUUM INTO (a transaction-consistent copy, beside a writer in WAL
// mode), the TSDB by its Snapshot (blocks and head), the agent registry, the
// integrity key (0600) and the inspection photos. db is the open TSDB.
func Backup(ctx context.Context, d DataDir, db *store.Store, out string, now time.Time) (*BackupManifest, error) {
	if err := emptyDir(out); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o700); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	m := &BackupManifest{CreatedAt: now.UTC()}
	for _, path := range []string{d.TicketsDB(), d.InspectionsDB(), d.AccountsDB(), d.RosterDB()} {
		if !exists(path) {
			continue
		}
		name := filepath.Base(path)
		if err := vacuumInto(ctx, path, filepath.Join(out, name)); err != nil {
			return nil, err
		}
		m.Files = append(m.Files, name)
	}
	if db != nil {
		if err := db.DB().Snapshot(filepath.Join(out, tsdbDirName), true); err != nil {
			return nil, fmt.Errorf("backup: TSDB snapshot: %w", err)
		}
		m.Files = append(m.Files, tsdbDirName)
	}
	for _, c := range []struct{ from, name string }{{d.Agents(), agentsFile}, {d.KeyFile(), integrity.KeyFileName}} {
		if !exists(c.from) {
			continue
		}
		if err := copyFile(c.from, filepath.Join(out, c.name), 0o600); err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
		m.Files = append(m.Files, c.name)
	}
	if exists(d.PhotoDir()) {
		if err := copyTree(d.PhotoDir(), filepath.Join(out, "photos")); err != nil {
			return nil, fmt.Errorf("backup: photos: %w", err)
		}
		m.Files = append(m.Files, "photos")
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(out, manifestName), append(b, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return m, nil
}

// Restore puts a backup made by Backup into the data directory d, which
// must be empty (or missing) and held by no collector.
func Restore(from string, d DataDir) error {
	b, err := os.ReadFile(filepath.Join(from, manifestName))
	if err != nil {
		return fmt.Errorf("restore: %s is not a roomwatch backup: %w", from, err)
	}
	var m BackupManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("restore: %s: %w", manifestName, err)
	}
	if err := emptyDir(d.Root); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := os.MkdirAll(d.Root, 0o750); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	lock, err := d.Acquire(Holder{Command: "restore"})
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer lock.Release() //nolint:errcheck // released at the end either way
	for _, name := range m.Files {
		src := filepath.Join(from, name)
		var err error
		switch name {
		case tsdbDirName:
			err = copyTree(src, d.TSDB())
		case "photos":
			err = copyTree(src, d.PhotoDir())
		case ticketsDBName:
			err = copyFile(src, d.TicketsDB(), 0o640)
		case integrity.KeyFileName:
			err = copyFile(src, d.KeyFile(), 0o600)
		default:
			err = copyFile(src, filepath.Join(d.Root, name), 0o640)
		}
		if err != nil {
			return fmt.Errorf("restore %s: %w", name, err)
		}
	}
	return nil
}

// emptyDir accepts a missing or empty directory.
func emptyDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(ents) > 0 {
		return fmt.Errorf("%s is not empty: give a new directory", dir)
	}
	return nil
}

func vacuumInto(ctx context.Context, path, dst string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=query_only(0)")
	if err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("backup %s: VACUUM INTO: %w", path, err)
	}
	return nil
}

func copyFile(from, to string, mode os.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(to), 0o750); err != nil {
		return err
	}
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if e.IsDir() {
			return os.MkdirAll(dst, 0o750)
		}
		return copyFile(p, dst, 0o640)
	})
}

// backupHandler is POST /api/v1/admin/backup {"dir": ABS}: the running
// collector takes the backup (its TSDB can only be snapshot from inside).
// Admin only.
func (s *Server) backupHandler() http.Handler {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		var req struct {
			Dir string `json:"dir"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil || !filepath.IsAbs(req.Dir) {
			http.Error(w, `body must be {"dir": "/absolute/path"}`, http.StatusBadRequest)
			return
		}
		m, err := Backup(r.Context(), s.stores.Dir, s.store, req.Dir, s.opts.Clock.Now())
		if err != nil {
			s.log.Error("backup", "dir", req.Dir, "err", err)
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		s.log.Info("backup written", "dir", req.Dir, "files", m.Files)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(m)
	})
	if s.auth == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "no API tokens configured (auth.tokens)", http.StatusUnauthorized)
		})
	}
	return s.auth.Require(auth.RoleAdmin, h)
}
