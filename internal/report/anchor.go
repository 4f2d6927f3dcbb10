package report

import (
	"context"
	"fmt"
	"strconv"
)

// Anchor is a chain head printed on a check sheet or report: the bureau keeps
// the paper, and `roomwatch-collector verify --head HASH` later checks that
// the records it ended on are still there, unchanged.
type Anchor struct {
	Chain string // inspections, ticket_events, audit_log
	Seq   int64  // the head record's sequence number or id
	Hash  string
}

// AnchorSource returns the chains' current heads.
type AnchorSource func(ctx context.Context) ([]Anchor, error)

// anchorText is one anchor as printed.
func anchorText(a Anchor) string {
	if a.Hash == "" {
		return fmt.Sprintf("%s #%d（未加密钥链 unkeyed）", a.Chain, a.Seq)
	}
	return fmt.Sprintf("%s #%d %s", a.Chain, a.Seq, a.Hash)
}

// anchorSection is the report's table of chain heads.
func anchorSection(as []Anchor) Section {
	s := Section{Sheet: "记录链头", Title: "记录链头", TitleEN: "Record chain heads",
		Columns: []Column{{Title: "记录链", TitleEN: "Chain"}, {Title: "末条记录", TitleEN: "Last record"}, {Title: "链头", TitleEN: "Head hash"}},
		Note:    "核验 verify: roomwatch-collector verify --head <链头 head>"}
	for _, a := range as {
		s.Rows = append(s.Rows, []any{a.Chain, strconv.FormatInt(a.Seq, 10), a.Hash})
	}
	return s
}
