package auth

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
)

// AuditFile appends JSON lines to a file opened O_APPEND: nothing in roomwatch
// rewrites or truncates it. It is the optional copy of the audit table.
type AuditFile struct {
	mu sync.Mutex
	f  *os.File
}

// OpenAuditFile opens (creating, mode 0640) path for appending.
func OpenAuditFile(path string) (*AuditFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("audit file: %w", err)
	}
	return &AuditFile{f: f}, nil
}

// AppendJSON writes v as one JSON line.
func (a *AuditFile) AppendJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("audit file: %w", err)
	}
	b = append(b, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.f.Write(b); err != nil {
		return fmt.Errorf("audit file: %w", err)
	}
	return nil
}

// Close closes the file.
func (a *AuditFile) Close() error { return a.f.Close() }
