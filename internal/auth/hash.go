package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// MinTokenLen is the shortest clear token the config accepts.
const MinTokenLen = 16

// bcryptMaxLen is the longest secret bcrypt reads; it ignores the rest, so a
// longer presented token never matches a bcrypt hash.
const bcryptMaxLen = 72

// hashKind is how a configured token is kept.
type hashKind int

const (
	kindSHA256 hashKind = iota // clear tokens too: their sha256 is what is compared
	kindBcrypt
)

// errHashForm is the message of a hash the config cannot read.
var errHashForm = errors.New(`hash must be bcrypt ("$2b$…" or "bcrypt:$2b$…", from HashToken or htpasswd -nbB) or the deprecated "sha256:<64 hex digits>"`)

// parsedHash is a configured hash: a sha256 sum or a bcrypt hash.
type parsedHash struct {
	kind hashKind
	sum  []byte // kindSHA256
	hash []byte // kindBcrypt
}

// parseHash reads "bcrypt:$2b$…", "$2a$…", "$2b$…", "$2y$…" or the deprecated
// "sha256:<hex>".
func parseHash(h string) (parsedHash, error) {
	if hexs, ok := strings.CutPrefix(h, "sha256:"); ok {
		b, err := hex.DecodeString(hexs)
		if err != nil || len(b) != sha256.Size {
			return parsedHash{}, errHashForm
		}
		return parsedHash{kind: kindSHA256, sum: b}, nil
	}
	b := strings.TrimPrefix(h, "bcrypt:")
	if err := checkBcrypt(b); err != nil {
		return parsedHash{}, fmt.Errorf("%w: %v", errHashForm, err)
	}
	return parsedHash{kind: kindBcrypt, hash: []byte(b)}, nil
}

// checkBcrypt checks the modular-crypt form "$2b$NN$<53 chars>".
func checkBcrypt(h string) error {
	if !strings.HasPrefix(h, "$2a$") && !strings.HasPrefix(h, "$2b$") && !strings.HasPrefix(h, "$2y$") {
		return errors.New("not a bcrypt hash ($2a$, $2b$ or $2y$)")
	}
	if len(h) != 60 {
		return fmt.Errorf("bcrypt hash of %d characters, want 60", len(h))
	}
	if _, err := bcrypt.Cost([]byte(h)); err != nil {
		return err
	}
	const alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	for _, c := range h[7:] {
		if !strings.ContainsRune(alphabet, c) {
			return fmt.Errorf("bcrypt hash has %q outside its alphabet", c)
		}
	}
	return nil
}

// HashToken returns the bcrypt hash of a token ("$2a$10$…", default cost),
// salted, for the `hash:` of a token in the config. Tokens longer than 72
// bytes cannot be hashed with bcrypt.
func HashToken(token string) (string, error) {
	b, err := bcrypt.GenerateFromPassword([]byte(token), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash token: %w", err)
	}
	return string(b), nil
}
