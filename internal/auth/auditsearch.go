package auth

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"
)

// AuditLine is one line of the audit file, as read back for the console.
type AuditLine struct {
	At     time.Time // the line's "at" (zero when absent)
	Kind   string    // "kind" (accounts) or "type"/"action" (tickets), when present
	Who    string    // "actor", else "user", else "by"
	Text   string    // the raw JSON line
	LineNo int       // 1-based line number in the file
}

// SearchAudit returns the newest limit lines of the audit file at path that
// contain every word of query (case-insensitive), newest first. A missing
// file holds no lines.
func SearchAudit(path, query string, limit int) ([]AuditLine, error) {
	if limit <= 0 {
		limit = 200
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit file: %w", err)
	}
	defer f.Close()
	words := strings.Fields(strings.ToLower(query))
	ring := make([]AuditLine, 0, limit)
	next := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		text := sc.Text()
		low := strings.ToLower(text)
		match := true
		for _, w := range words {
			if !strings.Contains(low, w) {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		l := parseAuditLine(text, n)
		if len(ring) < limit {
			ring = append(ring, l)
		} else {
			ring[next] = l
			next = (next + 1) % limit
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("audit file: %w", err)
	}
	out := make([]AuditLine, 0, len(ring))
	for i := len(ring) - 1; i >= 0; i-- {
		out = append(out, ring[(next+i)%len(ring)])
	}
	return out, nil
}

func parseAuditLine(text string, n int) AuditLine {
	l := AuditLine{Text: text, LineNo: n}
	var m map[string]any
	if json.Unmarshal([]byte(text), &m) != nil {
		return l
	}
	str := func(keys ...string) string {
		for _, k := range keys {
			if s, ok := m[k].(string); ok && s != "" {
				return s
			}
		}
		return ""
	}
	if at := str("at", "time", "ts"); at != "" {
		l.At, _ = time.Parse(time.RFC3339Nano, at)
	}
	l.Kind = str("kind", "type", "action", "event")
	l.Who = str("actor", "user", "by")
	return l
}
