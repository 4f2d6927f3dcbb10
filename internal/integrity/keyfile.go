package integrity

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// KeyFileName is the key file's name in the data directory, unless
// integrity.key_file names another path.
const KeyFileName = "integrity.key"

// keySize is the HMAC key's length in bytes.
const keySize = 32

// ErrNoKey is a key file that does not exist.
var ErrNoKey = errors.New("no integrity key file")

// KeyFile is the chains' key and where each chain became keyed. It is kept
// outside the databases, mode 0600: whoever can read it can rewrite a chain
// undetected, so it belongs to the collector's user alone (and in backups).
type KeyFile struct {
	Path string `json:"-"`
	// Key is the HMAC key, hex in the file.
	Key       []byte    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	// KeyedFrom is, per chain, the sequence number (or row id) of its first
	// keyed record: records before it were written before the key existed
	// and keep their unkeyed (or absent) hashes.
	KeyedFrom map[string]int64 `json:"keyed_from"`
}

type keyFileJSON struct {
	Version int    `json:"version"`
	KeyHex  string `json:"key"`
	KeyFile
}

// LoadKeyFile reads the key file at path. A missing file is ErrNoKey; a file
// that others can read or write is refused.
func LoadKeyFile(path string) (*KeyFile, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoKey, path)
	}
	if err != nil {
		return nil, fmt.Errorf("integrity key %s: %w", path, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("integrity key %s has mode %v: others may read it; chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("integrity key %s: %w", path, err)
	}
	var j keyFileJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("integrity key %s: %w", path, err)
	}
	key, err := hex.DecodeString(j.KeyHex)
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("integrity key %s: the key is not hex of at least 16 bytes", path)
	}
	kf := j.KeyFile
	kf.Path, kf.Key = path, key
	if kf.KeyedFrom == nil {
		kf.KeyedFrom = map[string]int64{}
	}
	return &kf, nil
}

// OpenKeyFile loads the key file at path, creating it with a new random key
// when missing (created is then true).
func OpenKeyFile(path string, now time.Time) (kf *KeyFile, created bool, err error) {
	kf, err = LoadKeyFile(path)
	if !errors.Is(err, ErrNoKey) {
		return kf, false, err
	}
	key := make([]byte, keySize)
	if _, err := rand.Read(key); err != nil {
		return nil, false, fmt.Errorf("integrity key: %w", err)
	}
	kf = &KeyFile{Path: path, Key: key, CreatedAt: now.UTC(), KeyedFrom: map[string]int64{}}
	if err := kf.save(); err != nil {
		return nil, false, err
	}
	return kf, true, nil
}

// Chain returns the chain of this key with alg; it reads KeyedFrom live.
func (kf *KeyFile) Chain(alg Alg) *Chain {
	return &Chain{key: kf.Key, alg: alg, keyedFrom: kf.KeyedFrom}
}

// Start records that chain name is keyed from record next on, unless it
// already is; it reports whether it wrote the file.
func (kf *KeyFile) Start(name string, next int64) (bool, error) {
	if _, ok := kf.KeyedFrom[name]; ok {
		return false, nil
	}
	kf.KeyedFrom[name] = next
	if err := kf.save(); err != nil {
		delete(kf.KeyedFrom, name)
		return false, err
	}
	return true, nil
}

// save writes the file atomically (temporary file, fsync, rename), 0600.
func (kf *KeyFile) save() error {
	b, err := json.MarshalIndent(keyFileJSON{Version: 1, KeyHex: hex.EncodeToString(kf.Key), KeyFile: *kf}, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(kf.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("integrity key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".integrity-key-*")
	if err != nil {
		return fmt.Errorf("integrity key: %w", err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("integrity key: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("integrity key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("integrity key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("integrity key: %w", err)
	}
	if err := os.Rename(tmp.Name(), kf.Path); err != nil {
		return fmt.Errorf("integrity key: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
