package integrity

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"

	"github.com/emmansun/gmsm/sm3"
)

// Alg is the hash function of the chains (config integrity.hash).
type Alg string

// Hash functions.
const (
	SHA256 Alg = "sha256"
	SM3    Alg = "sm3" // GB/T 32905-2016, for commercial-cryptography reviews (密评)
)

// Tags stored with each keyed record.
const (
	HMACTagSHA256 = "hmac-sha256"
	HMACTagSM3    = "hmac-sm3"
)

// ErrUnknownTag is a record whose link function is not one this build knows.
var ErrUnknownTag = errors.New("unknown chain hash tag")

// ParseAlg checks a configured hash name; "" is SHA256.
func ParseAlg(s string) (Alg, error) {
	switch Alg(s) {
	case "", SHA256:
		return SHA256, nil
	case SM3:
		return SM3, nil
	}
	return "", fmt.Errorf("integrity.hash %q: want sha256 or sm3", s)
}

// Tag is the tag stored with records linked by a.
func (a Alg) Tag() string {
	if a == SM3 {
		return HMACTagSM3
	}
	return HMACTagSHA256
}

// New returns a new hash.Hash of a.
func (a Alg) New() hash.Hash {
	if a == SM3 {
		return sm3.New()
	}
	return sha256.New()
}

func algOfTag(tag string) (Alg, error) {
	switch tag {
	case HMACTagSHA256:
		return SHA256, nil
	case HMACTagSM3:
		return SM3, nil
	}
	return "", fmt.Errorf("%w %q", ErrUnknownTag, tag)
}

// Chain links records with one key and one hash function. A nil *Chain
// links nothing (Tag is ""): stores opened without one write unkeyed
// records, as before keys existed.
type Chain struct {
	key []byte
	alg Alg
	// KeyedFrom is, per chain name, the first record written keyed
	// (records before it predate the key); 0 when not yet known.
	keyedFrom map[string]int64
}

// NewChain returns a chain over key with alg.
func NewChain(key []byte, alg Alg) *Chain {
	return &Chain{key: key, alg: alg, keyedFrom: map[string]int64{}}
}

// Alg is the hash function new records are linked with.
func (c *Chain) Alg() Alg { return c.alg }

// Tag is stored with each new record; "" for a nil chain.
func (c *Chain) Tag() string {
	if c == nil {
		return ""
	}
	return c.alg.Tag()
}

// Link returns the hash of a new record after prev.
func (c *Chain) Link(prev string, doc []byte) string {
	h, _ := c.Sum(c.alg.Tag(), prev, doc) // the tag is always known
	return h
}

// Sum recomputes the hash of a record stored with tag.
func (c *Chain) Sum(tag, prev string, doc []byte) (string, error) {
	alg, err := algOfTag(tag)
	if err != nil {
		return "", err
	}
	m := hmac.New(alg.New, c.key)
	m.Write([]byte(prev))
	m.Write([]byte{'\n'})
	m.Write(doc)
	return hex.EncodeToString(m.Sum(nil)), nil
}

// KeyedFrom is the first keyed record of the chain name (0: unknown).
func (c *Chain) KeyedFrom(name string) int64 {
	if c == nil {
		return 0
	}
	return c.keyedFrom[name]
}
