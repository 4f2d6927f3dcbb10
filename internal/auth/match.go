package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/bcrypt"
)

// maxCached bounds the cache of verified bcrypt tokens (per token list).
const maxCached = 1024

type entry struct {
	name string
	role Role
	kind hashKind
	sum  []byte // kindSHA256: sha256 of the secret
	hash []byte // kindBcrypt
}

// tokenSet is one list of tokens (API or intake). Clear and sha256 tokens
// are compared in constant time; bcrypt ones (slow on purpose, ~50–100 ms)
// only when none of those matched, and a token that passed bcrypt is
// remembered by its sha256 so that a busy sender pays bcrypt once. Failed
// attempts are not remembered.
type tokenSet struct {
	entries []entry

	mu       sync.Mutex
	verified map[[sha256.Size]byte]int // sha256 of a presented token -> index in entries

	compares atomic.Int64 // bcrypt comparisons made, for tests
}

func newTokenSet(ts []Token) (*tokenSet, error) {
	s := &tokenSet{entries: make([]entry, 0, len(ts)), verified: map[[sha256.Size]byte]int{}}
	for _, t := range ts {
		e := entry{name: t.Name, role: t.Role}
		if t.Hash != "" {
			h, err := parseHash(t.Hash)
			if err != nil {
				return nil, fmt.Errorf("token %q: %w", t.Name, err)
			}
			e.kind, e.sum, e.hash = h.kind, h.sum, h.hash
		} else {
			sum := sha256.Sum256([]byte(t.Token.Reveal()))
			e.kind, e.sum = kindSHA256, sum[:]
		}
		s.entries = append(s.entries, e)
	}
	return s, nil
}

// match returns the entry whose secret tok is.
func (s *tokenSet) match(tok string) (entry, bool) {
	sum := sha256.Sum256([]byte(tok))
	found, ok := -1, false
	for i, e := range s.entries {
		if e.kind == kindSHA256 && subtle.ConstantTimeCompare(e.sum, sum[:]) == 1 {
			found, ok = i, true
		}
	}
	if ok {
		return s.entries[found], true
	}
	s.mu.Lock()
	i, hit := s.verified[sum]
	s.mu.Unlock()
	if hit {
		return s.entries[i], true
	}
	if len(tok) > bcryptMaxLen {
		return entry{}, false
	}
	for i, e := range s.entries {
		if e.kind != kindBcrypt {
			continue
		}
		s.compares.Add(1)
		if bcrypt.CompareHashAndPassword(e.hash, []byte(tok)) == nil {
			s.remember(sum, i)
			return e, true
		}
	}
	return entry{}, false
}

// remember caches a verified token, dropping an arbitrary one when full.
func (s *tokenSet) remember(sum [sha256.Size]byte, i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.verified) >= maxCached {
		for k := range s.verified {
			delete(s.verified, k)
			break
		}
	}
	s.verified[sum] = i
}

// cached reports how many verified bcrypt tokens are remembered.
func (s *tokenSet) cached() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.verified)
}
