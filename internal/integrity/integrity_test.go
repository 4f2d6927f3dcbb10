package integrity

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// GB/T 32905-2016, appendix A: the two examples.
func TestSM3Vectors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"},
		{strings.Repeat("abcd", 16), "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"},
	} {
		h := SM3.New()
		h.Write([]byte(tc.in))
		if got := hex.EncodeToString(h.Sum(nil)); got != tc.want {
			t.Errorf("SM3(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestChainLink(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	for _, alg := range []Alg{SHA256, SM3} {
		c := NewChain(key, alg)
		h1 := c.Link("", []byte(`{"a":1}`))
		if got, err := c.Sum(alg.Tag(), "", []byte(`{"a":1}`)); err != nil || got != h1 {
			t.Errorf("%s: Sum = %s, %v; want %s", alg, got, err, h1)
		}
		if h2 := c.Link("", []byte(`{"a":2}`)); h2 == h1 {
			t.Errorf("%s: different documents, same hash", alg)
		}
		if h3 := c.Link(h1, []byte(`{"a":1}`)); h3 == h1 {
			t.Errorf("%s: prev not in the hash", alg)
		}
		other := NewChain([]byte("another key of 16+ bytes"), alg)
		if other.Link("", []byte(`{"a":1}`)) == h1 {
			t.Errorf("%s: the key is not in the hash", alg)
		}
	}
	if NewChain(key, SHA256).Link("", nil) == NewChain(key, SM3).Link("", nil) {
		t.Error("sha256 and sm3 give the same link")
	}
	if _, err := NewChain(key, SHA256).Sum("md5", "", nil); !errors.Is(err, ErrUnknownTag) {
		t.Errorf("unknown tag: %v", err)
	}
}

func TestParseAlg(t *testing.T) {
	for in, want := range map[string]Alg{"": SHA256, "sha256": SHA256, "sm3": SM3} {
		if got, err := ParseAlg(in); err != nil || got != want {
			t.Errorf("ParseAlg(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseAlg("md5"); err == nil {
		t.Error("md5 accepted")
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", KeyFileName)
	if _, err := LoadKeyFile(path); !errors.Is(err, ErrNoKey) {
		t.Fatalf("missing: %v", err)
	}
	kf, created, err := OpenKeyFile(path, time.Unix(0, 0))
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
	if wrote, err := kf.Start(ChainInspections, 7); err != nil || !wrote {
		t.Fatalf("start: %v %v", wrote, err)
	}
	if wrote, _ := kf.Start(ChainInspections, 9); wrote {
		t.Error("second start rewrote keyed_from")
	}
	again, created, err := OpenKeyFile(path, time.Now())
	if err != nil || created {
		t.Fatalf("reopen: %v %v", created, err)
	}
	if string(again.Key) != string(kf.Key) || again.KeyedFrom[ChainInspections] != 7 {
		t.Errorf("reopened %x %v", again.Key, again.KeyedFrom)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyFile(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable key accepted: %v", err)
	}
}

func TestFindHead(t *testing.T) {
	h := strings.Repeat("ab", 32)
	rs := []Report{{Chain: ChainAudit, Hashes: map[string]int64{h: 3}}}
	if c, s, err := FindHead(rs, strings.ToUpper(h[:20])); err != nil || c != ChainAudit || s != 3 {
		t.Errorf("prefix: %v %v %v", c, s, err)
	}
	if _, _, err := FindHead(rs, "abab"); err == nil {
		t.Error("short head accepted")
	}
	if _, _, err := FindHead(rs, strings.Repeat("cd", 32)); err == nil {
		t.Error("unknown head found")
	}
}
