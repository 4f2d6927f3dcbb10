// Package rules embeds roomwatch's shipped data files — alerting rules,
// fault levels, SLA profiles, holiday calendars, inspection templates and SNMP
// device profiles — so that a binary started outside the repository has them.
// The files themselves stay plain YAML in this directory, where engineers read
// and change them; Extract writes the embedded copy to disk for the loaders,
// which take paths.
package rules

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

//go:embed alerts/*.yml fault-levels.yml sla/*.yml calendars/*.yml inspections/*.yml profiles/*.yml
var files embed.FS

// FS returns the embedded files, with paths relative to this directory
// ("alerts/power.yml", "fault-levels.yml", …).
func FS() fs.FS { return files }

// Marker is the file Extract leaves in the directory it writes, naming what
// wrote it, so that a directory of edited rules is never mistaken for one.
const Marker = ".roomwatch-embedded"

// Extract writes every embedded file under dir (created if missing). Files from an earlier Extract are replaced, so the directory
// always matches the running binary; a non-empty dir that an earlier Extract
// did not write is refused rather than overwritten.
func Extract(dir string) error {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		if _, err := os.Stat(filepath.Join(dir, Marker)); err != nil {
			return fmt.Errorf("rules: %s holds files not written by roomwatch; not overwriting them (set the paths in the config instead)", dir)
		}
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			return err
		}
		return writeAtomic(dst, b)
	})
	if err != nil {
		return fmt.Errorf("rules: extract to %s: %w", dir, err)
	}
	msg := "Written by roomwatch-collector from its embedded copy at every start; edits here are lost.\n" +
		"To change rules, copy this directory elsewhere and point the config at it.\n" +
		"由 roomwatch-collector 每次启动时从内置副本写出，在此修改会被覆盖；请复制到别处并在配置中指定路径。\n"
	if err := os.WriteFile(filepath.Join(dir, Marker), []byte(msg), 0o640); err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	return nil
}

func writeAtomic(dst string, b []byte) error {
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, b, 0o640); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}
