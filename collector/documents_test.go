package collector

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDocumentsConfig(t *testing.T) {
	for _, tc := range []struct {
		yaml, err string
		queue     int
		timeout   time.Duration
	}{
		{yaml: "documents:\n  chromium: /opt/chromium/chrome\n  pdf_queue: 2\n  pdf_timeout: 30s\n", queue: 2, timeout: 30 * time.Second},
		{yaml: "global:\n  bureau: 某县公安局\ndocuments:\n  pdf_queue: 500\n", err: "collector.yml:4: documents.pdf_queue 500: want 0 to 100"},
		{yaml: "documents:\n  pdf_queue: -1\n", err: "collector.yml:2: documents.pdf_queue -1"},
		{yaml: "documents:\n  pdf_timeout: soon\n", err: "collector.yml:2: invalid duration"},
		{yaml: "documents:\n  chromum: x\n", err: "chromum"},
	} {
		path := filepath.Join(t.TempDir(), "collector.yml")
		if err := os.WriteFile(path, []byte(tc.yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(path)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want one with %q", tc.yaml, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.yaml, err)
			continue
		}
		d := cfg.Documents
		if d.Chromium != "/opt/chromium/chrome" || d.Queue != tc.queue || d.Timeout.Std() != tc.timeout {
			t.Errorf("%q: got %+v", tc.yaml, d)
		}
	}
}
