package integrity

import (
	"fmt"
	"strings"
)

// Chain names, as in the key file and the verify output.
const (
	ChainInspections  = "inspections"
	ChainTicketEvents = "ticket_events"
	ChainAudit        = "audit_log"
	// ChainAccountsAudit is accounts.db's audit table (logins, failures,
	// lockouts, password and user changes, issued tokens).
	ChainAccountsAudit = "accounts_audit"
)

// Report is what verifying one chain found.
type Report struct {
	Chain string `json:"chain"`
	// Records counts every record; Legacy those written before the chain
	// was keyed (checked as they were written: unkeyed SHA-256 for
	// inspections, nothing for ticket events and the audit log).
	Records int `json:"records"`
	Legacy  int `json:"legacy"`
	// OK is false at the first problem, which BadSeq and Reason name.
	OK     bool   `json:"ok"`
	BadSeq int64  `json:"bad_seq,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Head is the last record's hash and HeadSeq its sequence number.
	Head    string `json:"head,omitempty"`
	HeadSeq int64  `json:"head_seq,omitempty"`
	// Hashes are every keyed record's hash, for checking stated heads; not
	// printed.
	Hashes map[string]int64 `json:"-"`
}

// Fail marks r bad at seq for reason (keeping the first problem).
func (r *Report) Fail(seq int64, reason string) {
	if !r.OK && r.Reason != "" {
		return
	}
	r.OK, r.BadSeq, r.Reason = false, seq, reason
}

// minHeadLen is the shortest prefix of a head that verify accepts.
const minHeadLen = 16

// FindHead looks for a stated head (a full hash, or a prefix of at least 16
// hex digits, as printed on a sheet) among the chains' records. It returns
// the chain and sequence number holding it.
func FindHead(reports []Report, head string) (chain string, seq int64, err error) {
	head = strings.ToLower(strings.TrimSpace(head))
	if len(head) < minHeadLen {
		return "", 0, fmt.Errorf("head %q: give at least %d hex digits", head, minHeadLen)
	}
	for _, r := range reports {
		if s, ok := r.Hashes[head]; ok {
			return r.Chain, s, nil
		}
		if len(head) < 64 {
			for h, s := range r.Hashes {
				if strings.HasPrefix(h, head) {
					return r.Chain, s, nil
				}
			}
		}
	}
	return "", 0, fmt.Errorf("head %s is in no chain: the record it ended on was deleted or rewritten", head)
}
