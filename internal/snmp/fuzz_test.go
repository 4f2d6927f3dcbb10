package snmp

import (
	"encoding/binary"
	"testing"
	"unicode/utf8"

	"github.com/gosnmp/gosnmp"
)

// FuzzParseProfile: any bytes give a profile or an error, never a panic.
func FuzzParseProfile(f *testing.F) {
	f.Add([]byte("name: x\nscalars:\n  - {oid: 1.3.6.1.2.1.1.3.0, name: up, scale: 0.01}\n"))
	f.Add([]byte("name: t\ntables:\n  - name: t\n    index_label: i\n    labels: [{name: n, oid: 1.3.6.1.2, map: {a: b}}]\n    filter: [{oid: 1.3.6.1.3, equals: [\"1\"]}]\n    metrics: [{oid: 1.3.6.1.4, name: m, map: {\"1\": 1}, default: 0}]\n"))
	f.Add([]byte("name: &a x\ninclude: *a\n"))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseProfile("fuzz.yml", data)
		if err == nil && p == nil {
			t.Fatal("nil profile without error")
		}
	})
}

// garbagePDU makes a varbind of some type from fuzz bytes, including wrong
// Go types for the wire type.
func garbagePDU(kind byte, b []byte) gosnmp.SnmpPDU {
	var n uint64
	if len(b) >= 8 {
		n = binary.BigEndian.Uint64(b)
	}
	switch kind % 14 {
	case 0:
		return gosnmp.SnmpPDU{Type: gosnmp.Integer, Value: int(int64(n))}
	case 1:
		return gosnmp.SnmpPDU{Type: gosnmp.OctetString, Value: b}
	case 2:
		return gosnmp.SnmpPDU{Type: gosnmp.Counter64, Value: n}
	case 3:
		return gosnmp.SnmpPDU{Type: gosnmp.Counter32, Value: uint(n)}
	case 4:
		return gosnmp.SnmpPDU{Type: gosnmp.TimeTicks, Value: uint32(n)}
	case 5:
		return gosnmp.SnmpPDU{Type: gosnmp.NoSuchObject}
	case 6:
		return gosnmp.SnmpPDU{Type: gosnmp.NoSuchInstance, Value: b}
	case 7:
		return gosnmp.SnmpPDU{Type: gosnmp.ObjectIdentifier, Value: string(b)}
	case 8:
		return gosnmp.SnmpPDU{Type: gosnmp.Integer, Value: b} // bytes for an int
	case 9:
		return gosnmp.SnmpPDU{Type: gosnmp.OpaqueDouble, Value: float64(int64(n)) / 3}
	case 10:
		return gosnmp.SnmpPDU{Type: gosnmp.Gauge32, Value: nil}
	case 11:
		return gosnmp.SnmpPDU{Type: gosnmp.IPAddress, Value: string(b)}
	case 12:
		return gosnmp.SnmpPDU{Type: gosnmp.OpaqueFloat, Value: float32(n)}
	}
	return gosnmp.SnmpPDU{Type: gosnmp.Asn1BER(kind), Value: struct{}{}}
}

// FuzzEvaluate feeds every profile of rules/profiles garbage for each OID it
// reads: no panic, and samples only with finite values.
func FuzzEvaluate(f *testing.F) {
	ps := loadProfiles(f)
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}, []byte("15 PERCENT"))
	f.Add([]byte{1, 1, 1}, []byte{0xff, 0xfe, 0xfd, 0x81, 0x30})
	f.Add([]byte{2, 8, 0}, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, kinds, value []byte) {
		if len(kinds) == 0 {
			return
		}
		for _, name := range ps.Names() {
			p, _ := ps.Get(name)
			d := NewData()
			k := 0
			next := func() gosnmp.SnmpPDU {
				pdu := garbagePDU(kinds[k%len(kinds)], value)
				k++
				return pdu
			}
			for _, m := range p.Scalars {
				for _, o := range []string{m.OID, m.Fallback, m.DivideBy, m.TotalWith} {
					if o != "" {
						d.Scalars[o] = next()
					}
				}
			}
			for _, in := range p.Info {
				for _, l := range in.Labels {
					d.Scalars[l.OID] = next()
				}
			}
			for _, tb := range p.Tables {
				cols := []string{}
				for _, l := range tb.Labels {
					cols = append(cols, l.OID)
				}
				for _, fl := range tb.Filter {
					cols = append(cols, fl.OID)
				}
				for _, m := range tb.Metrics {
					cols = append(cols, m.OID, m.Fallback, m.DivideBy, m.TotalWith)
				}
				for _, c := range cols {
					if c != "" {
						d.addColumn(c, string(value[:min(len(value), 3)])+".1", next())
						d.addColumn(c, "2", next())
					}
				}
			}
			samples, _ := Evaluate(p, d)
			for _, s := range samples {
				if s.Value != s.Value || s.Value > 1e300 || s.Value < -1e300 {
					t.Fatalf("profile %s: %s = %v", name, s.Name, s.Value)
				}
			}
		}
	})
}

// FuzzText: label decoding never panics and always yields valid UTF-8.
func FuzzText(f *testing.F) {
	f.Add([]byte("上联主干"))
	f.Add([]byte{0xc9, 0xcf, 0xc1, 0xaa, 0x00, 0x00})
	f.Add([]byte{0xff, 0x81})
	f.Fuzz(func(t *testing.T, b []byte) {
		s := Text(b)
		if !utf8.ValidString(s) {
			t.Fatalf("Text(%x) = %q is not UTF-8", b, s)
		}
	})
}
