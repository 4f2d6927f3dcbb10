package snmp

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/roomwatch/roomwatch/internal/config"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe"
	"github.com/roomwatch/roomwatch/internal/snmp/snmptest"
	"github.com/roomwatch/roomwatch/internal/testutil"
)

// startResponder serves views from an in-process agent for the test's life.
func startResponder(t *testing.T, views map[string][]gosnmp.SnmpPDU) (*snmptest.Responder, string) {
	t.Helper()
	r, err := snmptest.NewResponder("127.0.0.1:0", views)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return r, r.Addr().String()
}

func readRec(t *testing.T, name string) []gosnmp.SnmpPDU {
	t.Helper()
	root, err := testutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	pdus, err := snmptest.ReadSnmprec(filepath.Join(root, "testdata", "snmprec", name+".snmprec"))
	if err != nil {
		t.Fatal(err)
	}
	return pdus
}

// TestSNMPv3 polls net-snmp's snmpd over SNMPv3 authPriv (system group and
// IF-MIB of this machine's interfaces), and checks that wrong credentials give
// a clear per-device error.
func TestSNMPv3(t *testing.T) {
	t.Parallel()
	addr := snmptest.StartSnmpd(t, strings.Join([]string{
		`createUser shauser SHA "auth-pass-1234" AES "priv-pass-1234"`,
		`createUser md5user MD5 "auth-pass-5678" DES "priv-pass-5678"`,
		`createUser sha256user SHA-256 "auth-pass-9012" AES "priv-pass-9012"`,
		`rouser shauser priv`,
		`rouser md5user priv`,
		`rouser sha256user priv`,
		`sysName v3-test-agent`,
		`sysObjectID .1.3.6.1.4.1.8072.3.2.10`,
	}, "\n"))
	tests := []struct {
		name                     string
		user, auth, ap, priv, pp string
		wantErr, wantReason      string
	}{
		{"SHA/AES", "shauser", "SHA", "auth-pass-1234", "AES", "priv-pass-1234", "", ""},
		{"MD5/DES", "md5user", "MD5", "auth-pass-5678", "DES", "priv-pass-5678", "", ""},
		{"SHA256/AES", "sha256user", "SHA256", "auth-pass-9012", "AES", "priv-pass-9012", "", ""},
		{"wrong auth password", "shauser", "SHA", "not-the-password", "AES", "priv-pass-1234", "authentication failed", probe.ReasonAuth},
		{"unknown user", "nobody", "SHA", "auth-pass-1234", "AES", "priv-pass-1234", "authentication failed", probe.ReasonAuth},
		// The agent answers discovery, then drops what it cannot decrypt.
		{"wrong priv password", "shauser", "SHA", "auth-pass-1234", "AES", "not-the-priv-pass", "privacy (priv) password or protocol may be wrong", probe.ReasonTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := &inventory.SNMP{Version: "3", Username: tc.user, SecurityLevel: "authPriv",
				AuthProtocol: tc.auth, AuthPassword: inventory.Secret(tc.ap),
				PrivProtocol: tc.priv, PrivPassword: inventory.Secret(tc.pp), Timeout: config.Duration(2 * time.Second)}
			res := pollAt(t, addr, cfg, "")
			if tc.wantErr != "" {
				if res.Err == nil || !strings.Contains(res.Err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", res.Err, tc.wantErr)
				}
				if got := probe.Reason(res.Err); got != tc.wantReason {
					t.Errorf("reason %q, want %q", got, tc.wantReason)
				}
				if strings.Contains(res.Err.Error(), tc.ap) || strings.Contains(res.Err.Error(), tc.pp) {
					t.Errorf("error leaks the password: %v", res.Err)
				}
				return
			}
			if res.Err != nil {
				t.Fatalf("poll: %v", res.Err)
			}
			info := samples(res, "roomwatch_device_reported_info")
			if len(info) != 1 || info[0].Labels["sys_name"] != "v3-test-agent" || !strings.HasPrefix(info[0].Labels["sys_descr"], "Linux") {
				t.Errorf("device info %+v", info)
			}
			if value(t, res, "roomwatch_device_uptime_seconds") < 0 {
				t.Error("negative uptime")
			}
			check(t, res, 1, "roomwatch_if_oper_status", "ifDescr=lo")
			if len(samples(res, "roomwatch_if_receive_bytes_total", "ifName=lo")) != 1 {
				t.Error("no 64-bit receive counter for lo")
			}
		})
	}
}

// TestDeadDevices: a port nobody listens on (refused) and an agent that never
// answers (silent) each fail within timeout × (retries+1), and neither delays
// a healthy device polled at the same time.
func TestDeadDevices(t *testing.T) {
	t.Parallel()
	_, healthy := startResponder(t, map[string][]gosnmp.SnmpPDU{"*": readRec(t, "switch-huawei-portsdown")})
	silent, err := net.ListenPacket("udp", "127.0.0.1:0") // reads nothing, answers nothing
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	refused := fmt.Sprintf("127.0.0.1:%d", testutil.FreeUDPPort(t))

	const timeout, retries = 400 * time.Millisecond, 2
	p, err := NewProber(Options{Profiles: loadProfiles(t), Timeout: timeout, Retries: retries})
	if err != nil {
		t.Fatal(err)
	}
	type done struct {
		name string
		res  probe.Result
	}
	ch := make(chan done, 3)
	for name, addr := range map[string]string{"silent": silent.LocalAddr().String(), "refused": refused, "healthy": healthy} {
		go func() {
			dev := &inventory.Device{Name: name, Class: inventory.ClassSwitch, Address: addr}
			ch <- done{name, p.Probe(context.Background(), inventory.Target{Device: dev, Name: name, Address: addr})}
		}()
	}
	var order []string
	results := map[string]probe.Result{}
	for range 3 {
		d := <-ch
		order = append(order, d.name)
		results[d.name] = d.res
	}
	if order[2] != "silent" {
		t.Errorf("completion order %v: the silent device should finish last", order)
	}
	if results["healthy"].Err != nil {
		t.Errorf("healthy device: %v", results["healthy"].Err)
	}
	limit := timeout*(retries+1) + 2*time.Second // scheduling slack on a busy 2-core machine
	for _, name := range []string{"silent", "refused"} {
		r := results[name]
		if r.Err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if r.Duration > limit {
			t.Errorf("%s took %v, more than timeout×(retries+1) = %v (+slack)", name, r.Duration, timeout*(retries+1))
		}
		t.Logf("%s: %v after %v", name, r.Err, r.Duration)
	}
	if s := results["silent"]; s.Err != nil && !strings.Contains(s.Err.Error(), "no answer") {
		t.Errorf("silent: error %q does not say the device did not answer", s.Err)
	}
	for name, want := range map[string]string{"silent": probe.ReasonTimeout, "refused": probe.ReasonRefused} {
		if got := probe.Reason(results[name].Err); got != want {
			t.Errorf("%s: reason %q, want %q", name, got, want)
		}
	}
	if s := results["silent"]; s.Duration < timeout*(retries+1) {
		t.Errorf("silent gave up after %v, before its %d tries of %v", s.Duration, retries+1, timeout)
	}
}

// TestGarbageValues: an agent answering with wrong types, empty and
// non-UTF-8 text, NULLs and huge counters yields a result with the usable
// values and a count of the unusable ones; nothing panics.
func TestGarbageValues(t *testing.T) {
	t.Parallel()
	view := []gosnmp.SnmpPDU{
		{Name: ".1.3.6.1.2.1.1.1.0", Type: gosnmp.OctetString, Value: []byte{0xff, 0xfe, 0x00, 'x'}},
		{Name: ".1.3.6.1.2.1.1.2.0", Type: gosnmp.OctetString, Value: []byte("not an oid")},
		{Name: ".1.3.6.1.2.1.1.3.0", Type: gosnmp.OctetString, Value: []byte("yesterday")},
		{Name: ".1.3.6.1.2.1.2.2.1.7.1", Type: gosnmp.IPAddress, Value: "10.0.0.1"},
		{Name: ".1.3.6.1.2.1.2.2.1.8.1", Type: gosnmp.OctetString, Value: []byte("up")},
		{Name: ".1.3.6.1.2.1.2.2.1.8.2", Type: gosnmp.Null},
		{Name: ".1.3.6.1.2.1.2.2.1.8.3", Type: gosnmp.Integer, Value: 1},
		{Name: ".1.3.6.1.2.1.2.2.1.14.3", Type: gosnmp.OctetString, Value: []byte{}},
		{Name: ".1.3.6.1.2.1.31.1.1.1.1.3", Type: gosnmp.OctetString, Value: []byte{0x81, 0x30, 0x81, 0x30, 0xff}},
		{Name: ".1.3.6.1.2.1.31.1.1.1.6.3", Type: gosnmp.Counter64, Value: uint64(1<<64 - 1)},
		{Name: ".1.3.6.1.2.1.31.1.1.1.10.3", Type: gosnmp.ObjectIdentifier, Value: ".1.3.6"},
	}
	_, addr := startResponder(t, map[string][]gosnmp.SnmpPDU{"*": view})
	res := pollAt(t, addr, nil, "")
	if res.Err != nil {
		t.Fatalf("poll: %v", res.Err)
	}
	if n := value(t, res, "roomwatch_snmp_value_errors"); n != 4 {
		t.Errorf("%v unusable values, want 4 (uptime text, admin IP, oper text, tx OID)", n)
	}
	check(t, res, 1, "roomwatch_if_oper_status", "ifIndex=3")
	check(t, res, float64(1<<64-1), "roomwatch_if_receive_bytes_total", "ifIndex=3")
	for _, s := range samples(res, "roomwatch_if_oper_status", "ifIndex=3") {
		if s.Labels["ifName"] == "" {
			t.Error("non-UTF-8 ifName became empty instead of decoded text")
		}
	}
}

// TestSNMPv1 polls over SNMPv1: GETNEXT walks, 32-bit counters straight away
// and noSuchName for missing scalars.
func TestSNMPv1(t *testing.T) {
	t.Parallel()
	view := append(readRec(t, "switch-huawei-portsdown"),
		gosnmp.SnmpPDU{Name: ".1.3.6.1.2.1.2.2.1.10.1", Type: gosnmp.Counter32, Value: uint(4000000000)},
		gosnmp.SnmpPDU{Name: ".1.3.6.1.2.1.2.2.1.10.2", Type: gosnmp.Counter32, Value: uint(12)})
	r, addr := startResponder(t, map[string][]gosnmp.SnmpPDU{"public": view})
	res := pollAt(t, addr, &inventory.SNMP{Version: "1", Community: "public"}, "")
	if res.Err != nil {
		t.Fatalf("poll: %v", res.Err)
	}
	check(t, res, 4000000000, "roomwatch_if_receive_bytes_total", "ifName=GE0/0/1")
	check(t, res, 2, "roomwatch_if_oper_status", "ifName=GE0/0/2")
	check(t, res, 0, "roomwatch_fan_ok", "fan=0.2")
	if got := value(t, res, "roomwatch_snmp_requests"); int64(got) > r.Requests() || got < 4 {
		t.Errorf("prober counted %v requests, responder saw %d", got, r.Requests())
	}
}

// TestRequestsPerPoll checks the column-parallel walk: a 3-row switch with
// 15 columns takes a handful of requests, and the count matches the agent's.
func TestRequestsPerPoll(t *testing.T) {
	t.Parallel()
	r, addr := startResponder(t, map[string][]gosnmp.SnmpPDU{"*": readRec(t, "switch-huawei-portsdown")})
	res := pollAt(t, addr, nil, "")
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	got := value(t, res, "roomwatch_snmp_requests")
	if int64(got) != r.Requests() {
		t.Errorf("prober counted %v requests, responder saw %d", got, r.Requests())
	}
	// system GET, vendor scalars? none; one GETBULK for all columns, then the
	// 32-bit counter fallbacks for the missing ifHCOutOctets: at most 5.
	if got > 5 {
		t.Errorf("%v requests for a 3-port switch, want ≤ 5", got)
	}
}
