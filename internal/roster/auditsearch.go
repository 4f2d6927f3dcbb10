package roster

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/internal/auth"
)

// SearchAudit returns the newest limit audit records whose actor, action or
// override contain every word of query (case-insensitive), newest first,
// for the console's audit search beside the accounts' and tickets' logs.
func (st *Store) SearchAudit(ctx context.Context, query string, limit int) ([]auth.AuditLine, error) {
	if limit <= 0 {
		limit = 200
	}
	q := `SELECT id, at, actor, action, override_id, detail FROM audit`
	var args []any
	var conds []string
	for _, w := range strings.Fields(strings.ToLower(query)) {
		conds = append(conds, `instr(lower(actor || ' ' || action || ' ' || override_id || ' ' || detail || ' roster'), ?) > 0`)
		args = append(args, w)
	}
	if len(conds) > 0 {
		q += ` WHERE ` + strings.Join(conds, " AND ")
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := st.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("roster: search audit: %w", err)
	}
	defer rows.Close()
	var out []auth.AuditLine
	for rows.Next() {
		var id, at, oid int64
		var actor, action, detail string
		if err := rows.Scan(&id, &at, &actor, &action, &oid, &detail); err != nil {
			return nil, fmt.Errorf("roster: search audit: %w", err)
		}
		text, err := json.Marshal(struct {
			At         time.Time       `json:"at"`
			Actor      string          `json:"actor"`
			Action     string          `json:"action"`
			OverrideID int64           `json:"override_id"`
			Override   json.RawMessage `json:"override"`
		}{time.UnixMilli(at), actor, "roster." + action, oid, json.RawMessage(detail)})
		if err != nil {
			return nil, fmt.Errorf("roster: search audit: %w", err)
		}
		out = append(out, auth.AuditLine{At: time.UnixMilli(at), Kind: "roster." + action, Who: actor, Text: string(text), LineNo: int(id)})
	}
	return out, rows.Err()
}
