package snmp

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gosnmp/gosnmp"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// raw is one varbind's value in the two forms profiles use: a number (when it
// has one) and a key for enum maps and labels.
type raw struct {
	num    float64
	hasNum bool
	key    string
}

// absent reports whether a varbind carries no value (missing object or instance,
// end of MIB view, NULL).
func absent(pdu gosnmp.SnmpPDU) bool {
	switch pdu.Type {
	case gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.EndOfMibView, gosnmp.Null, gosnmp.UnknownType:
		return true
	}
	return pdu.Value == nil
}

var numberRE = regexp.MustCompile(`[-+]?[0-9]+(?:\.[0-9]+)?`)

// rawValue converts a varbind's value whatever its wire type: devices send
// INTEGERs as Gauge32, numbers as text, and sometimes garbage.
func rawValue(pdu gosnmp.SnmpPDU, parseNumber bool) (raw, error) {
	switch v := pdu.Value.(type) {
	case int:
		return raw{num: float64(v), hasNum: true, key: strconv.Itoa(v)}, nil
	case int32:
		return raw{num: float64(v), hasNum: true, key: strconv.FormatInt(int64(v), 10)}, nil
	case int64:
		return raw{num: float64(v), hasNum: true, key: strconv.FormatInt(v, 10)}, nil
	case uint:
		return raw{num: float64(v), hasNum: true, key: strconv.FormatUint(uint64(v), 10)}, nil
	case uint32:
		return raw{num: float64(v), hasNum: true, key: strconv.FormatUint(uint64(v), 10)}, nil
	case uint64:
		return raw{num: float64(v), hasNum: true, key: strconv.FormatUint(v, 10)}, nil
	case float32:
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return raw{}, fmt.Errorf("value %v is not a finite number", v)
		}
		return raw{num: f, hasNum: true, key: strconv.FormatFloat(f, 'g', -1, 64)}, nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return raw{}, fmt.Errorf("value %v is not a finite number", v)
		}
		return raw{num: v, hasNum: true, key: strconv.FormatFloat(v, 'g', -1, 64)}, nil
	case []byte:
		s := Text(v)
		r := raw{key: s}
		if parseNumber {
			if m := numberRE.FindString(s); m != "" {
				if f, err := strconv.ParseFloat(m, 64); err == nil {
					r.num, r.hasNum = f, true
				}
			}
		} else if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			r.num, r.hasNum = f, true
		}
		return r, nil
	case string:
		// ObjectIdentifier and IPAddress arrive as strings.
		s := strings.TrimPrefix(v, ".")
		if !utf8.ValidString(s) {
			s = Text([]byte(s))
		}
		return raw{key: s}, nil
	case nil:
		return raw{}, fmt.Errorf("no value")
	default:
		return raw{}, fmt.Errorf("unexpected value of Go type %T", v)
	}
}

// Text decodes an OCTET STRING for a label: UTF-8 as is, otherwise GB18030
// (a superset of GBK, which Chinese devices use for ifAlias and names).
// Trailing NULs and spaces are dropped, control characters removed, and the
// result is at most 256 characters.
func Text(b []byte) string {
	for len(b) > 0 && (b[len(b)-1] == 0 || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	var s string
	if utf8.Valid(b) {
		s = string(b)
	} else if d, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b); err == nil && utf8.Valid(d) {
		s = string(d)
	} else {
		s = strings.ToValidUTF8(string(b), "\uFFFD")
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			if r == '\n' || r == '\r' || r == '\t' {
				return ' '
			}
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > 256 {
		s = string([]rune(s)[:256])
	}
	return s
}

// pduText returns a varbind's value as label text ("" when absent).
func pduText(pdu gosnmp.SnmpPDU) string {
	if absent(pdu) {
		return ""
	}
	r, err := rawValue(pdu, false)
	if err != nil {
		return ""
	}
	return r.key
}
