package snmptest

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosnmp/gosnmp"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

func TestParseSnmprecQuirks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     gosnmp.SnmpPDU
	}{
		{"odd hex", "1.3.6.1|4x|abc", gosnmp.SnmpPDU{Name: ".1.3.6.1", Type: gosnmp.OctetString, Value: []byte{0x0a, 0xbc}}},
		{"leading-dot oid value", "1.3.6.1|6|.1.3.6.1.4.1.935", gosnmp.SnmpPDU{Name: ".1.3.6.1", Type: gosnmp.ObjectIdentifier, Value: ".1.3.6.1.4.1.935"}},
		{"empty string, no newline", "1.3.6.1|4|", gosnmp.SnmpPDU{Name: ".1.3.6.1", Type: gosnmp.OctetString, Value: []byte{}}},
		{"counter64 max", "1.3.6.1|70|18446744073709551615", gosnmp.SnmpPDU{Name: ".1.3.6.1", Type: gosnmp.Counter64, Value: uint64(1<<64 - 1)}},
		{"hex ip", "1.3.6.1|64x|7f000001", gosnmp.SnmpPDU{Name: ".1.3.6.1", Type: gosnmp.IPAddress, Value: "127.0.0.1"}},
		{"negative int", "1.3.6.1|2|-3", gosnmp.SnmpPDU{Name: ".1.3.6.1", Type: gosnmp.Integer, Value: -3}},
	}
	for _, tc := range tests {
		got, err := ParseSnmprec(strings.NewReader(tc.in))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(got) != 1 || got[0].Name != tc.want.Name || got[0].Type != tc.want.Type ||
			fmt.Sprint(got[0].Value) != fmt.Sprint(tc.want.Value) {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if _, err := ParseSnmprec(strings.NewReader("1.3.6.1|99|x")); err == nil {
		t.Error("unknown tag accepted")
	}
}

// TestParseSharedRecordings parses every real recording: sorted, complete.
func TestParseSharedRecordings(t *testing.T) {
	t.Parallel()
	dir := testutil.SharedDir(t, "snmprec")
	files, _ := filepath.Glob(filepath.Join(dir, "*.snmprec"))
	if len(files) != 20 {
		t.Fatalf("%d recordings, want 20", len(files))
	}
	for _, f := range files {
		pdus, err := ReadSnmprec(f)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		for i := 1; i < len(pdus); i++ {
			if CompareOID(pdus[i-1].Name, pdus[i].Name) >= 0 {
				t.Errorf("%s: not in OID order at %s", filepath.Base(f), pdus[i].Name)
				break
			}
		}
	}
}

func FuzzParseSnmprec(f *testing.F) {
	f.Add([]byte("1.3.6.1.2.1.1.1.0|4|x\n1.3.6.1.2.1.1.2.0|6|.1.3\n1.3.6.1|4x|abc\n"))
	f.Add([]byte("1.3|67:numeric|rate=1\n#c\n\n1|2|"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseSnmprec(strings.NewReader(string(b)))
	})
}
