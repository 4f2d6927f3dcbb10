package snmptest

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/gosnmp/gosnmp"
)

// ParseSnmprec parses snmpsim's OID|TAG|VALUE lines into varbinds sorted by
// OID. Tags: 2 Integer32, 4 OctetString (4x hex, 4e escaped), 5 Null,
// 6 OID, 64 IpAddress, 65 Counter32, 66 Gauge32, 67 TimeTicks, 70 Counter64,
// 128/129/130 noSuchObject/noSuchInstance/endOfMibView. Variation modules
// (TAG:module) keep their tag and use the value only if it parses.
func ParseSnmprec(r io.Reader) ([]gosnmp.SnmpPDU, error) {
	data, err := readAll(r)
	if err != nil {
		return nil, err
	}
	var out []gosnmp.SnmpPDU
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "|", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("line %d: want OID|TAG|VALUE", n+1)
		}
		oid := strings.TrimPrefix(parts[0], ".")
		if _, err := parseOID(oid); err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		tag, _, variation := strings.Cut(parts[1], ":")
		pdu, err := recValue(tag, parts[2])
		if err != nil {
			if variation {
				continue
			}
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		pdu.Name = "." + oid
		out = append(out, pdu)
	}
	sort.SliceStable(out, func(i, j int) bool { return CompareOID(out[i].Name, out[j].Name) < 0 })
	return out, nil
}

func recValue(tag, v string) (gosnmp.SnmpPDU, error) {
	isHex := strings.HasSuffix(tag, "x")
	escaped := strings.HasSuffix(tag, "e")
	tag = strings.TrimRight(tag, "xe")
	bytesOf := func() ([]byte, error) {
		switch {
		case isHex:
			if len(v)%2 == 1 {
				v = "0" + v
			}
			return hex.DecodeString(v)
		case escaped:
			s, err := strconv.Unquote(`"` + strings.ReplaceAll(v, `"`, `\"`) + `"`)
			return []byte(s), err
		}
		return []byte(v), nil
	}
	num := func(bits int) (uint64, error) { return strconv.ParseUint(strings.TrimSpace(v), 10, bits) }
	switch tag {
	case "2":
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		return gosnmp.SnmpPDU{Type: gosnmp.Integer, Value: int(n)}, err
	case "4":
		b, err := bytesOf()
		return gosnmp.SnmpPDU{Type: gosnmp.OctetString, Value: b}, err
	case "5":
		return gosnmp.SnmpPDU{Type: gosnmp.Null}, nil
	case "6":
		return gosnmp.SnmpPDU{Type: gosnmp.ObjectIdentifier, Value: "." + strings.TrimPrefix(v, ".")}, nil
	case "64":
		if isHex {
			b, err := bytesOf()
			if err != nil || len(b) != 4 {
				return gosnmp.SnmpPDU{}, fmt.Errorf("bad hex IpAddress %q", v)
			}
			return gosnmp.SnmpPDU{Type: gosnmp.IPAddress, Value: net.IP(b).String()}, nil
		}
		return gosnmp.SnmpPDU{Type: gosnmp.IPAddress, Value: v}, nil
	case "65":
		n, err := num(32)
		return gosnmp.SnmpPDU{Type: gosnmp.Counter32, Value: uint(n)}, err
	case "66":
		n, err := num(32)
		return gosnmp.SnmpPDU{Type: gosnmp.Gauge32, Value: uint(n)}, err
	case "67":
		n, err := num(32)
		return gosnmp.SnmpPDU{Type: gosnmp.TimeTicks, Value: uint32(n)}, err
	case "70":
		n, err := num(64)
		return gosnmp.SnmpPDU{Type: gosnmp.Counter64, Value: n}, err
	case "128":
		return gosnmp.SnmpPDU{Type: gosnmp.NoSuchObject}, nil
	case "129":
		return gosnmp.SnmpPDU{Type: gosnmp.NoSuchInstance}, nil
	case "130":
		return gosnmp.SnmpPDU{Type: gosnmp.EndOfMibView}, nil
	}
	return gosnmp.SnmpPDU{}, fmt.Errorf("unsupported tag %q", tag)
}

// parseOID splits a dotted OID into its arcs.
func parseOID(s string) ([]uint64, error) {
	s = strings.TrimPrefix(s, ".")
	if s == "" {
		return nil, errors.New("empty OID")
	}
	parts := strings.Split(s, ".")
	out := make([]uint64, len(parts))
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("bad OID %q", s)
		}
		out[i] = n
	}
	return out, nil
}

// CompareOID orders two dotted OIDs numerically (leading dots ignored).
func CompareOID(a, b string) int {
	x, _ := parseOID(a)
	y, _ := parseOID(b)
	for i := 0; i < len(x) && i < len(y); i++ {
		if x[i] != y[i] {
			if x[i] < y[i] {
				return -1
			}
			return 1
		}
	}
	return len(x) - len(y)
}

// Responder is an in-process SNMP v1/v2c agent answering GET, GETNEXT and
// GETBULK from sorted varbinds per community. It counts the requests it gets.
type Responder struct {
	// Refusals, set before Serve, make the agent answer with an error status
	// instead of values under some OIDs (a column or scalar it will not give).
	Refusals []Refusal

	conn  net.PacketConn
	views map[string][]gosnmp.SnmpPDU
	any   []gosnmp.SnmpPDU
	reqs  atomic.Int64
}

// Refusal answers every request whose result would be an OID under Prefix
// (the OID itself for GET, the next one for GETNEXT and GETBULK) with Status,
// and an error index naming the request varbind unless NoIndex is set (some
// agents leave it 0).
type Refusal struct {
	Prefix  string
	Status  gosnmp.SNMPError
	NoIndex bool
}

// refused returns the refusal covering oid, if any.
func (r *Responder) refused(oid string) (Refusal, bool) {
	oid = strings.TrimPrefix(oid, ".")
	for _, f := range r.Refusals {
		p := strings.TrimPrefix(f.Prefix, ".")
		if oid == p || strings.HasPrefix(oid, p+".") {
			return f, true
		}
	}
	return Refusal{}, false
}

// NewResponder listens on addr (e.g. "127.0.0.1:0") and serves views: each
// community's varbinds (as from ParseSnmprec). The community "*" answers any
// community not listed. Call Serve to answer.
func NewResponder(addr string, views map[string][]gosnmp.SnmpPDU) (*Responder, error) {
	c, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, err
	}
	r := &Responder{conn: c, views: map[string][]gosnmp.SnmpPDU{}}
	for k, v := range views {
		v = append([]gosnmp.SnmpPDU(nil), v...)
		sort.SliceStable(v, func(i, j int) bool { return CompareOID(v[i].Name, v[j].Name) < 0 })
		if k == "*" {
			r.any = v
		} else {
			r.views[k] = v
		}
	}
	return r, nil
}

// Addr returns the address the responder listens on.
func (r *Responder) Addr() *net.UDPAddr { return r.conn.LocalAddr().(*net.UDPAddr) }

// Requests returns how many requests the responder has received.
func (r *Responder) Requests() int64 { return r.reqs.Load() }

// Close stops the responder.
func (r *Responder) Close() error { return r.conn.Close() }

// Serve answers requests until ctx ends or the responder is closed.
func (r *Responder) Serve(ctx context.Context) error {
	go func() { <-ctx.Done(); r.conn.Close() }()
	buf := make([]byte, 65535)
	dec := &gosnmp.GoSNMP{Version: gosnmp.Version2c, Logger: gosnmp.NewLogger(nil)}
	for {
		n, from, err := r.conn.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		r.reqs.Add(1)
		req, err := dec.SnmpDecodePacket(buf[:n])
		if err != nil || req.Version == gosnmp.Version3 {
			continue
		}
		out, err := r.answer(req).MarshalMsg()
		if err != nil {
			continue
		}
		_, _ = r.conn.WriteTo(out, from)
	}
}

func (r *Responder) answer(req *gosnmp.SnmpPacket) *gosnmp.SnmpPacket {
	resp := &gosnmp.SnmpPacket{Version: req.Version, Community: req.Community, PDUType: gosnmp.GetResponse,
		RequestID: req.RequestID, Logger: gosnmp.NewLogger(nil)}
	view, ok := r.views[req.Community]
	if !ok {
		view = r.any
	}
	v1 := req.Version == gosnmp.Version1
	fail := func(i int) *gosnmp.SnmpPacket {
		resp.Error, resp.ErrorIndex = gosnmp.NoSuchName, uint8(i+1)
		resp.Variables = req.Variables
		return resp
	}
	refuse := func(f Refusal, i int) *gosnmp.SnmpPacket {
		resp.Error = f.Status
		if !f.NoIndex {
			resp.ErrorIndex = uint8(i + 1)
		}
		resp.Variables = req.Variables
		return resp
	}
	find := func(oid string) int { // first index with Name >= oid
		return sort.Search(len(view), func(i int) bool { return CompareOID(view[i].Name, oid) >= 0 })
	}
	next := func(oid string) (gosnmp.SnmpPDU, bool) {
		i := find(oid)
		if i < len(view) && CompareOID(view[i].Name, oid) == 0 {
			i++
		}
		if i >= len(view) {
			return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.EndOfMibView}, false
		}
		return view[i], true
	}
	// step is next for GETNEXT/GETBULK: a walk inside a refused subtree is
	// refused; one from outside skips over it, as agents skip objects that
	// are not accessible.
	step := func(oid string) (gosnmp.SnmpPDU, bool, *Refusal) {
		_, inside := r.refused(oid)
		pdu, ok := next(oid)
		for ok {
			f, bad := r.refused(pdu.Name)
			if !bad {
				break
			}
			if inside {
				return pdu, ok, &f
			}
			pdu, ok = next(pdu.Name)
		}
		return pdu, ok, nil
	}
	switch req.PDUType {
	case gosnmp.GetRequest:
		for i, vb := range req.Variables {
			if f, ok := r.refused(vb.Name); ok {
				return refuse(f, i)
			}
			j := find(vb.Name)
			if j < len(view) && CompareOID(view[j].Name, vb.Name) == 0 {
				resp.Variables = append(resp.Variables, view[j])
				continue
			}
			if v1 {
				return fail(i)
			}
			resp.Variables = append(resp.Variables, gosnmp.SnmpPDU{Name: vb.Name, Type: gosnmp.NoSuchInstance})
		}
	case gosnmp.GetNextRequest:
		for i, vb := range req.Variables {
			pdu, ok, f := step(vb.Name)
			if f != nil {
				return refuse(*f, i)
			}
			if !ok && v1 {
				return fail(i)
			}
			resp.Variables = append(resp.Variables, pdu)
		}
	case gosnmp.GetBulkRequest:
		nonRep := min(int(req.NonRepeaters), len(req.Variables))
		for i, vb := range req.Variables[:nonRep] {
			pdu, _, f := step(vb.Name)
			if f != nil {
				return refuse(*f, i)
			}
			resp.Variables = append(resp.Variables, pdu)
		}
		cur := make([]string, 0, len(req.Variables)-nonRep)
		for _, vb := range req.Variables[nonRep:] {
			cur = append(cur, vb.Name)
		}
		const maxVarbinds = 1000
		for rep := 0; rep < int(req.MaxRepetitions) && len(cur) > 0 && len(resp.Variables)+len(cur) <= maxVarbinds; rep++ {
			for k, oid := range cur {
				pdu, _, f := step(oid)
				if f != nil {
					return refuse(*f, nonRep+k)
				}
				resp.Variables = append(resp.Variables, pdu)
				cur[k] = pdu.Name
			}
		}
	default:
		resp.Error = gosnmp.GenErr
	}
	return resp
}
