package snmp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/gosnmp/gosnmp"

	"github.com/roomwatch/roomwatch/internal/probe"
)

// maxRequestsPerPoll bounds the requests one poll may send, so an agent that
// loops (or a table of a million rows) cannot hold a poller forever.
const maxRequestsPerPoll = 5000

// session is one poll of one device over its own socket.
type session struct {
	g *gosnmp.GoSNMP
	// sent counts request packets put on the wire, retries included.
	sent int
	// maxRep is the GETBULK max-repetitions; maxVarbinds caps columns × maxRep.
	maxRep      int
	maxVarbinds int
	// getBatch is how many OIDs go into one GET.
	getBatch int
	// colErrs are the columns (and scalars) the agent refused with an error
	// status; the poll keeps everything else.
	colErrs []ColumnError
}

// ColumnError is a table column or scalar OID the agent answered with an
// error status (noAccess, genErr, …) instead of values. The poll drops that
// OID, keeps what it read before and everything else, and reports it in
// roomwatch_snmp_column_error_info.
type ColumnError struct {
	OID    string
	Status gosnmp.SNMPError
}

func (e *ColumnError) Error() string {
	return fmt.Sprintf("oid %s: agent answered %v", e.OID, e.Status)
}

// refuse records that the agent refused oid.
func (s *session) refuse(oid string, status gosnmp.SNMPError) {
	s.colErrs = append(s.colErrs, ColumnError{OID: oid, Status: status})
}

func (s *session) budget() error {
	if s.sent > maxRequestsPerPoll {
		return fmt.Errorf("more than %d requests in one poll: giving up", maxRequestsPerPoll)
	}
	return nil
}

// get fetches scalars, getBatch OIDs per PDU. Missing objects are simply
// absent from the result. On SNMPv1 an OID the agent lacks fails the whole
// PDU with noSuchName; it is dropped and the rest asked again.
func (s *session) get(ctx context.Context, oids []string, into map[string]gosnmp.SnmpPDU) error {
	batch := s.getBatch
	for len(oids) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.budget(); err != nil {
			return err
		}
		n := min(batch, len(oids))
		req := oids[:n]
		resp, err := s.g.Get(req)
		if err != nil {
			return fmt.Errorf("get: %w", err)
		}
		switch resp.Error {
		case gosnmp.NoError:
		case gosnmp.TooBig:
			if batch == 1 {
				return fmt.Errorf("get %s: agent says tooBig for a single OID", req[0])
			}
			batch = max(1, batch/2)
			continue
		case gosnmp.NoSuchName:
			i := int(resp.ErrorIndex) - 1
			if i < 0 || i >= len(req) {
				return fmt.Errorf("get: noSuchName with error index %d out of range", resp.ErrorIndex)
			}
			// Drop the missing OID and ask again for the others.
			oids = dropAt(oids, i)
			continue
		default:
			// One OID refused (noAccess, genErr…): drop it, report it, and
			// ask again for the others. Without a usable error index, ask
			// one OID at a time to find it.
			i := int(resp.ErrorIndex) - 1
			if i < 0 || i >= len(req) {
				if n > 1 {
					batch = 1
					continue
				}
				i = 0
			}
			s.refuse(req[i], resp.Error)
			oids = dropAt(oids, i)
			continue
		}
		for _, vb := range resp.Variables {
			into[normOID(vb.Name)] = vb
		}
		oids = oids[n:]
	}
	return nil
}

// dropAt returns oids without its i-th element (a new slice).
func dropAt(oids []string, i int) []string {
	rest := make([]string, 0, len(oids)-1)
	rest = append(rest, oids[:i]...)
	return append(rest, oids[i+1:]...)
}

// cursor is a column being walked and the last OID read from it.
type cursor struct {
	col, at string
}

// walkColumns walks the given table columns side by side: one GETBULK (or
// GETNEXT on SNMPv1) carries the current position of every column not yet
// finished, so a table of c columns and r rows takes about r/maxRep requests
// instead of c·r/maxRep. A column the agent refuses with an error status is
// dropped and recorded (session.colErrs); the others go on.
func (s *session) walkColumns(ctx context.Context, cols []string, d *Data) error {
	active := make([]cursor, 0, len(cols))
	for _, c := range cols {
		active = append(active, cursor{col: c, at: c})
	}
	return s.walk(ctx, active, d)
}

func (s *session) walk(ctx context.Context, active []cursor, d *Data) error {
	maxRep := s.maxRep
	// oneRow asks one repetition next time: after an error status, so the
	// rows before the refused object are kept.
	oneRow := false
	for len(active) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.budget(); err != nil {
			return err
		}
		oids := make([]string, len(active))
		for i, c := range active {
			oids[i] = c.at
		}
		var resp *gosnmp.SnmpPacket
		var err error
		rep := 1
		if s.g.Version == gosnmp.Version1 {
			resp, err = s.g.GetNext(oids)
		} else {
			rep = max(1, min(maxRep, s.maxVarbinds/len(oids)))
			if oneRow {
				rep = 1
			}
			resp, err = s.g.GetBulk(oids, 0, uint32(rep))
		}
		if err != nil {
			return fmt.Errorf("walk %s: %w", active[0].col, err)
		}
		switch resp.Error {
		case gosnmp.NoError:
		case gosnmp.TooBig:
			if rep == 1 {
				return fmt.Errorf("walk: agent says tooBig for one row")
			}
			maxRep = max(1, rep/2)
			continue
		case gosnmp.NoSuchName:
			// SNMPv1 end of MIB view for one column: that column is done.
			i := int(resp.ErrorIndex) - 1
			if i < 0 || i >= len(active) {
				return fmt.Errorf("walk: noSuchName with error index %d out of range", resp.ErrorIndex)
			}
			active = append(active[:i], active[i+1:]...)
			continue
		default:
			// A column the agent will not walk (noAccess, genErr…). First
			// ask one row, so the rows before the refused object are kept.
			// The error index names a request varbind, or (some agents) a
			// response varbind, which repeats the columns in request order.
			if rep > 1 {
				oneRow = true
				continue
			}
			i := int(resp.ErrorIndex) - 1
			if i >= 0 {
				i %= len(active)
			} else if len(active) > 1 {
				// No index: walk each column alone to find the refused one.
				for _, c := range active {
					if err := s.walk(ctx, []cursor{c}, d); err != nil {
						return err
					}
				}
				return nil
			} else {
				i = 0
			}
			s.refuse(active[i].col, resp.Error)
			active = append(active[:i], active[i+1:]...)
			continue
		}
		oneRow = false
		n := len(active)
		done := make([]bool, n)
		vars := resp.Variables
		if len(vars) == 0 {
			return fmt.Errorf("walk %s: empty response", active[0].col)
		}
		for k, vb := range vars {
			i := k % n
			if done[i] {
				continue
			}
			name := normOID(vb.Name)
			c := &active[i]
			idx, under := strings.CutPrefix(name, c.col+".")
			if !under || vb.Type == gosnmp.EndOfMibView || compareOID(name, c.at) <= 0 {
				done[i] = true
				continue
			}
			d.addColumn(c.col, idx, vb)
			c.at = name
		}
		// A column whose answers stopped short of a full repetition (the agent
		// truncated the response) simply continues from its cursor next time.
		next := active[:0]
		for i, c := range active {
			if !done[i] {
				next = append(next, c)
			}
		}
		active = next
	}
	return nil
}

// describe puts the likely cause of a transport or USM error in words, as a
// *probe.Error with its reason (timeout, refused, unreachable, auth). It
// decides by type: gosnmp's sentinel errors (ErrMaxRetriesExceeded,
// ErrWrongDigest, ErrDecryption, ErrUnknownUsername, ErrNotInTimeWindow,
// ErrUnknownEngineID), the socket's errno (ECONNREFUSED, EHOSTUNREACH,
// ENETUNREACH) and net.Error's Timeout. Text is matched only where gosnmp has no sentinel (unauthenticText). sess may be
// nil (no session was built); with one, an SNMPv3 authPriv poll that timed
// out after engine discovery succeeded says the privacy password may be
// wrong: the agent answered discovery, then dropped requests it could not
// decrypt.
func describe(err error, sess *session) error {
	if err == nil {
		return nil
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return probe.Errorf(probe.ReasonTimeout, "poll cut short: %w", err)
	case errors.Is(err, gosnmp.ErrMaxRetriesExceeded), errors.As(err, &ne) && ne.Timeout():
		if sess != nil && discoveredAuthPriv(sess.g) {
			return probe.Errorf(probe.ReasonTimeout, "timeout: the agent answered SNMPv3 engine discovery but not the request; the privacy (priv) password or protocol may be wrong: %w", err)
		}
		return probe.Errorf(probe.ReasonTimeout, "timeout: no answer (wrong address, community or port, or device down): %w", err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return probe.Errorf(probe.ReasonRefused, "refused: no SNMP agent on that port (ICMP port unreachable): %w", err)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return probe.Errorf(probe.ReasonUnreachable, "no route to the device: %w", err)
	case errors.Is(err, gosnmp.ErrWrongDigest), errors.Is(err, gosnmp.ErrDecryption):
		return probe.Errorf(probe.ReasonAuth, "auth: SNMPv3 authentication failed (check username, protocols and passwords): %w", err)
	case errors.Is(err, gosnmp.ErrUnknownUsername):
		return probe.Errorf(probe.ReasonAuth, "auth: SNMPv3 authentication failed, user unknown to the device: %w", err)
	case errors.Is(err, gosnmp.ErrNotInTimeWindow), errors.Is(err, gosnmp.ErrUnknownEngineID):
		return probe.Errorf(probe.ReasonAuth, "auth: SNMPv3 engine time or ID rejected (agent restarted or clock jumped): %w", err)
	case unauthenticText(err):
		return probe.Errorf(probe.ReasonAuth, "auth: SNMPv3 authentication failed (check username, protocols and passwords): %w", err)
	}
	return err
}

// unauthenticText matches the two authentication failures gosnmp (v1.47)
// returns as bare fmt.Errorf text with no sentinel to test with errors.Is:
// "incoming packet is not authentic, discarding" (v3.go, a wrong
// authentication password) and "message is not authenticated but user … requires
// authentication" (v3_usm.go). Text is matched here only because gosnmp
// offers nothing else; every other cause is decided by type.
func unauthenticText(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "packet is not authentic") || strings.Contains(msg, "is not authenticated but user")
}

// discoveredAuthPriv reports whether g is an SNMPv3 authPriv session whose
// engine discovery succeeded (the agent's engine ID is known).
func discoveredAuthPriv(g *gosnmp.GoSNMP) bool {
	if g == nil || g.Version != gosnmp.Version3 || g.MsgFlags&gosnmp.AuthPriv != gosnmp.AuthPriv {
		return false
	}
	usm, ok := g.SecurityParameters.(*gosnmp.UsmSecurityParameters)
	return ok && usm.AuthoritativeEngineID != ""
}
