package collector

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"

	"github.com/roomwatch/roomwatch/internal/auth"
)

// TestNewAuthLogsDeprecations: serve warns once per sha256-hashed token and
// once for tickets.auth, without printing the hash.
func TestNewAuthLogsDeprecations(t *testing.T) {
	t.Parallel()
	sum := sha256.Sum256([]byte("ops-desk-token-0001"))
	hash := "sha256:" + hex.EncodeToString(sum[:])
	var c Config
	c.Tickets.Auth.Tokens = []auth.Token{{Name: "ops-desk", Hash: hash, Role: auth.RoleEngineer}}
	var buf bytes.Buffer
	if _, err := newAuth(&c, slog.New(slog.NewTextHandler(&buf, nil))); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"tickets.auth is deprecated", `token \"ops-desk\" uses a sha256: hash, which is deprecated`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, hash[7:]) {
		t.Errorf("the log shows the hash:\n%s", out)
	}
}
