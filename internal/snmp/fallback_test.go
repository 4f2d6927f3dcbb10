package snmp

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/gosnmp/gosnmp"

	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/snmp/snmptest"
)

// TestPerRowCounterFallback polls a recording whose eth0 has the 64-bit
// ifXTable counters and eth1 only the 32-bit ifTable ones: each interface
// gets its traffic, under the same metric name and labels either way.
func TestPerRowCounterFallback(t *testing.T) {
	res := mustPoll(t, "if-mixed-counters", "")
	for _, c := range []struct {
		name, ifName string
		want         float64
	}{
		{"roomwatch_if_receive_bytes_total", "eth0", 50000000000},
		{"roomwatch_if_receive_bytes_total", "eth1", 2000},
		{"roomwatch_if_transmit_bytes_total", "eth0", 60000000000},
		{"roomwatch_if_transmit_bytes_total", "eth1", 2200},
		{"roomwatch_if_speed_bits_per_second", "eth0", 1e10},
		{"roomwatch_if_speed_bits_per_second", "eth1", 1e8},
		{"roomwatch_if_receive_errors_total", "eth1", 6},
	} {
		check(t, res, c.want, c.name, "ifName="+c.ifName)
	}
	// Same series identity whichever counter was read: identical label keys.
	keys := func(ifName string) []string {
		ss := samples(res, "roomwatch_if_receive_bytes_total", "ifName="+ifName)
		if len(ss) != 1 {
			return nil
		}
		var ks []string
		for k := range ss[0].Labels {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	if k0, k1 := keys("eth0"), keys("eth1"); !slices.Equal(k0, k1) || len(k0) == 0 {
		t.Errorf("label keys differ: eth0 %v, eth1 %v", k0, k1)
	}
	if n := len(samples(res, "roomwatch_snmp_column_error_info")); n != 0 {
		t.Errorf("%d column errors from a clean recording", n)
	}
}

// TestColumnErrorKeepsTheRest polls a recording whose ifInErrors column
// answers noAccess: every other column is still reported, the device is up,
// and the refused column is named in roomwatch_snmp_column_error_info.
func TestColumnErrorKeepsTheRest(t *testing.T) {
	res := mustPoll(t, "if-column-noaccess", "")
	if n := len(samples(res, "roomwatch_if_receive_errors_total")); n != 0 {
		t.Errorf("%d samples from the refused column", n)
	}
	check(t, res, 1, "roomwatch_snmp_column_error_info", "oid=1.3.6.1.2.1.2.2.1.14", "status=NoAccess")
	// snmpsim also refuses GETNEXT from ifInDiscards' last row (its successor
	// is the refused ifInErrors.1), so ifInDiscards may be named too; its
	// rows are all kept (checked below). Nothing else may be named.
	for _, s := range samples(res, "roomwatch_snmp_column_error_info") {
		if o := s.Labels["oid"]; o != "1.3.6.1.2.1.2.2.1.14" && o != "1.3.6.1.2.1.2.2.1.13" {
			t.Errorf("column error for %s", o)
		}
	}
	for _, c := range []struct {
		name, ifName string
		want         float64
	}{
		{"roomwatch_if_oper_status", "eth0", 1},
		{"roomwatch_if_oper_status", "eth1", 2},
		{"roomwatch_if_receive_discards_total", "eth0", 3},
		{"roomwatch_if_receive_discards_total", "eth1", 4},
		{"roomwatch_if_transmit_errors_total", "eth0", 9},
		{"roomwatch_if_receive_bytes_total", "eth0", 50000000000},
		{"roomwatch_if_receive_bytes_total", "eth1", 2000},
		{"roomwatch_if_transmit_bytes_total", "eth1", 2200},
	} {
		check(t, res, c.want, c.name, "ifName="+c.ifName)
	}
	check(t, res, 1234, "roomwatch_device_uptime_seconds")
}

func TestMissingRows(t *testing.T) {
	const hc, fb, name, other = "1.9.6", "1.9.10", "1.9.1", "1.9.2"
	pdu := gosnmp.SnmpPDU{Type: gosnmp.Counter32, Value: uint(1)}
	mk := func(cols map[string][]string) *Data {
		d := NewData()
		for c, rows := range cols {
			for _, r := range rows {
				d.addColumn(c, r, pdu)
			}
		}
		return d
	}
	for _, tc := range []struct {
		desc string
		cols map[string][]string
		want []string
	}{
		{"all rows have the primary", map[string][]string{hc: {"1", "2"}, name: {"1", "2"}}, []string{}},
		{"one row lacks it", map[string][]string{hc: {"1"}, name: {"1", "2"}}, []string{"2"}},
		{"rows from any column, in OID order", map[string][]string{hc: {"2"}, name: {"10"}, other: {"1", "2", "3"}}, []string{"1", "3", "10"}},
		{"the fallback's own rows do not count", map[string][]string{hc: {"1"}, fb: {"1", "7"}}, []string{}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			got := missingRows(mk(tc.cols), hc, fb, []string{name, other, hc, fb})
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestEvaluatePerRowFallback: a row without the primary column uses its
// fallback (and fallback_scale), a row with it does not.
func TestEvaluatePerRowFallback(t *testing.T) {
	p := &Profile{Name: "t", Tables: []Table{{
		Name: "if", IndexLabel: "ifIndex",
		Metrics: []Metric{
			{OID: "1.9.6", Fallback: "1.9.10", Name: "rx_total", Type: typeCounter, Scale: 1},
			{OID: "1.9.15", Fallback: "1.9.5", FallbackScale: 1, Name: "speed", Type: typeGauge, Scale: 1e6},
		},
	}}}
	d := NewData()
	c64 := func(v uint64) gosnmp.SnmpPDU { return gosnmp.SnmpPDU{Type: gosnmp.Counter64, Value: v} }
	c32 := func(v uint) gosnmp.SnmpPDU { return gosnmp.SnmpPDU{Type: gosnmp.Counter32, Value: v} }
	d.addColumn("1.9.6", "1", c64(5e10))
	d.addColumn("1.9.10", "1", c32(7)) // ignored: row 1 has the primary
	d.addColumn("1.9.10", "2", c32(2000))
	d.addColumn("1.9.15", "1", c32(10000))
	d.addColumn("1.9.5", "2", c32(1e8))
	d.addColumn("1.9.6", "3", gosnmp.SnmpPDU{Type: gosnmp.NoSuchInstance})
	d.addColumn("1.9.10", "3", c32(30))
	got, errs := Evaluate(p, d)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	want := map[string]float64{"rx_total/1": 5e10, "rx_total/2": 2000, "rx_total/3": 30, "speed/1": 1e10, "speed/2": 1e8}
	if len(got) != len(want) {
		t.Errorf("%d samples, want %d: %+v", len(got), len(want), got)
	}
	for _, s := range got {
		k := s.Name + "/" + s.Labels["ifIndex"]
		if w, ok := want[k]; !ok || s.Value != w {
			t.Errorf("%s = %v, want %v (known %v)", k, s.Value, w, ok)
		}
	}
}

// TestRefusedOIDs serves the mixed-counter recording from the in-process
// agent refusing one column or scalar (with and without an error index, on
// SNMPv2c and v1): the refused OID is reported, everything else is kept and
// the poll does not fail.
func TestRefusedOIDs(t *testing.T) {
	const (
		ifInErrors   = "1.3.6.1.2.1.2.2.1.14"
		ifHCInOctets = "1.3.6.1.2.1.31.1.1.1.6"
		sysName      = "1.3.6.1.2.1.1.5.0"
	)
	views := map[string][]gosnmp.SnmpPDU{"public": readRec(t, "if-mixed-counters")}
	for _, tc := range []struct {
		desc    string
		version string
		refuse  snmptest.Refusal
		// gone is a metric with no samples left; want are values that must survive.
		gone    string
		want    map[string]float64 // metric/ifName → value
		sysName string
	}{
		{
			desc: "column with index", refuse: snmptest.Refusal{Prefix: ifInErrors, Status: gosnmp.NoAccess},
			gone: "roomwatch_if_receive_errors_total",
			want: map[string]float64{"roomwatch_if_receive_discards_total/eth1": 4, "roomwatch_if_transmit_errors_total/eth0": 9, "roomwatch_if_receive_bytes_total/eth0": 5e10},
		},
		{
			desc: "column without index", refuse: snmptest.Refusal{Prefix: ifInErrors, Status: gosnmp.GenErr, NoIndex: true},
			gone: "roomwatch_if_receive_errors_total",
			want: map[string]float64{"roomwatch_if_receive_discards_total/eth1": 4, "roomwatch_if_oper_status/eth1": 2, "roomwatch_if_receive_bytes_total/eth1": 2000},
		},
		{
			desc: "64-bit column refused: every row falls back", refuse: snmptest.Refusal{Prefix: ifHCInOctets, Status: gosnmp.NoAccess},
			want: map[string]float64{"roomwatch_if_receive_bytes_total/eth0": 1000, "roomwatch_if_receive_bytes_total/eth1": 2000, "roomwatch_if_transmit_bytes_total/eth0": 6e10},
		},
		{
			desc: "scalar", refuse: snmptest.Refusal{Prefix: sysName, Status: gosnmp.NoAccess},
			want: map[string]float64{"roomwatch_if_receive_errors_total/eth0": 5, "roomwatch_if_receive_bytes_total/eth0": 5e10},
		},
		{
			desc: "scalar without index", refuse: snmptest.Refusal{Prefix: sysName, Status: gosnmp.GenErr, NoIndex: true},
			want: map[string]float64{"roomwatch_if_receive_errors_total/eth1": 6, "roomwatch_if_transmit_bytes_total/eth1": 2200},
		},
		{
			desc: "SNMPv1 column", version: "1", refuse: snmptest.Refusal{Prefix: ifInErrors, Status: gosnmp.GenErr},
			gone: "roomwatch_if_receive_errors_total",
			want: map[string]float64{"roomwatch_if_receive_discards_total/eth0": 3, "roomwatch_if_receive_bytes_total/eth0": 1000, "roomwatch_if_receive_bytes_total/eth1": 2000},
		},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			r, err := snmptest.NewResponder("127.0.0.1:0", views)
			if err != nil {
				t.Fatal(err)
			}
			r.Refusals = []snmptest.Refusal{tc.refuse}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { _ = r.Serve(ctx); close(done) }()
			t.Cleanup(func() { cancel(); <-done })

			res := pollAt(t, r.Addr().String(), &inventory.SNMP{Version: tc.version}, "")
			if res.Err != nil {
				t.Fatalf("poll failed: %v", res.Err)
			}
			errs := samples(res, "roomwatch_snmp_column_error_info")
			if len(errs) != 1 || errs[0].Labels["oid"] != tc.refuse.Prefix || errs[0].Labels["status"] != tc.refuse.Status.String() {
				t.Errorf("column errors %+v, want one for %s %v", errs, tc.refuse.Prefix, tc.refuse.Status)
			}
			if tc.gone != "" {
				if n := len(samples(res, tc.gone)); n != 0 {
					t.Errorf("%d samples of %s from a refused column", n, tc.gone)
				}
			}
			for k, want := range tc.want {
				name, ifName, _ := strings.Cut(k, "/")
				check(t, res, want, name, "ifName="+ifName)
			}
			info := samples(res, "roomwatch_device_reported_info")
			wantName := "edge-sw"
			if tc.refuse.Prefix == sysName {
				wantName = ""
			}
			if len(info) != 1 || info[0].Labels["sys_name"] != wantName {
				t.Errorf("device info %+v, want sys_name %q", info, wantName)
			}
		})
	}
}
