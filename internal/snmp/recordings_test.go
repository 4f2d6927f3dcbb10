package snmp

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe"
	"github.com/roomwatch/roomwatch/internal/snmp/snmptest"
	"github.com/roomwatch/roomwatch/internal/testutil"
)

// sim is one snmpsimd serving every recording (shared and the project's own),
// started once for the package's tests: starting it takes a few seconds.
var sim struct {
	once sync.Once
	host string
	port int
	err  string
}

// snmpsim returns the address of the shared snmpsimd, starting it on first use.
// It serves ../shared/snmprec (when present) and testdata/snmprec.
func snmpsim(t *testing.T) (string, int) {
	t.Helper()
	sim.once.Do(func() {
		root, err := testutil.ModuleRoot()
		if err != nil {
			sim.err = err.Error()
			return
		}
		files, _ := filepath.Glob(filepath.Join(root, "testdata", "snmprec", "*.snmprec"))
		shared, _ := filepath.Glob(filepath.Join(filepath.Dir(root), "shared", "snmprec", "*.snmprec"))
		files = append(files, shared...)
		// The daemon must outlive the first test that starts it.
		lt := &longTB{TB: t}
		sim.host, sim.port = snmptest.StartSnmpsim(lt, files...)
	})
	if sim.err != "" {
		t.Fatal(sim.err)
	}
	return sim.host, sim.port
}

// longTB defers cleanups to the end of the test binary (see TestMain).
type longTB struct{ testing.TB }

var (
	cleanupMu sync.Mutex
	cleanups  []func()
)

// Logf goes to stderr: the test that started the daemon may have ended.
func (l *longTB) Logf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

// Failed reports whether the package's tests failed, once they have ended.
func (l *longTB) Failed() bool { return packageFailed }

var packageFailed bool

func (l *longTB) Cleanup(f func()) {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	cleanups = append(cleanups, f)
}

func TestMain(m *testing.M) {
	code := m.Run()
	packageFailed = code != 0
	cleanupMu.Lock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	cleanupMu.Unlock()
	os.Exit(code)
}

// pollRecording polls one recording (community = file name) through the Prober.
func pollRecording(t *testing.T, community, profile string) probe.Result {
	t.Helper()
	host, port := snmpsim(t)
	return pollAt(t, fmt.Sprintf("%s:%d", host, port), &inventory.SNMP{Community: inventory.Secret(community)}, profile)
}

func pollAt(t *testing.T, addr string, cfg *inventory.SNMP, profile string) probe.Result {
	t.Helper()
	p, err := NewProber(Options{Profiles: loadProfiles(t), Timeout: 3 * time.Second, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	dev := &inventory.Device{Name: "dev", Class: inventory.ClassSwitch, Address: addr, Profile: profile, SNMP: cfg}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return p.Probe(ctx, inventory.Target{Device: dev, Name: dev.Name, Address: addr})
}

// samples returns the samples named name whose labels include every k=v of match.
func samples(res probe.Result, name string, match ...string) []probe.Sample {
	var out []probe.Sample
next:
	for _, s := range res.Samples {
		if s.Name != name {
			continue
		}
		for _, kv := range match {
			k, v, _ := strings.Cut(kv, "=")
			if s.Labels[k] != v {
				continue next
			}
		}
		out = append(out, s)
	}
	return out
}

// value returns the one sample matching, failing the test otherwise.
func value(t *testing.T, res probe.Result, name string, match ...string) float64 {
	t.Helper()
	ss := samples(res, name, match...)
	if len(ss) != 1 {
		t.Errorf("%s%v: %d samples, want 1", name, match, len(ss))
		return math.NaN()
	}
	return ss[0].Value
}

// check asserts a value within 1e-9 (relative).
func check(t *testing.T, res probe.Result, want float64, name string, match ...string) {
	t.Helper()
	got := value(t, res, name, match...)
	if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s%v = %v, want %v", name, match, got, want)
	}
}

// countValues counts samples by value.
func countValues(res probe.Result, name string) map[float64]int {
	m := map[float64]int{}
	for _, s := range samples(res, name) {
		m[s.Value]++
	}
	return m
}

func noDuplicates(t *testing.T, res probe.Result) {
	t.Helper()
	seen := map[string]bool{}
	for _, s := range res.Samples {
		keys := make([]string, 0, len(s.Labels))
		for k, v := range s.Labels {
			keys = append(keys, k+"="+v)
		}
		sort.Strings(keys)
		id := s.Name + "{" + strings.Join(keys, ",") + "}"
		if seen[id] {
			t.Errorf("duplicate series %s", id)
		}
		seen[id] = true
	}
}

func mustPoll(t *testing.T, community, profile string) probe.Result {
	t.Helper()
	res := pollRecording(t, community, profile)
	if res.Err != nil {
		t.Fatalf("poll %s: %v", community, res.Err)
	}
	noDuplicates(t, res)
	if n := value(t, res, "roomwatch_snmp_value_errors"); n != 0 {
		t.Errorf("%v unusable values", n)
	}
	return res
}

func sharedRecordings(t *testing.T) {
	t.Helper()
	testutil.SharedDir(t, "snmprec")
}

// TestRecordings polls each real device recording through its profile and
// checks concrete values from shared/snmprec/README.md.
func TestRecordings(t *testing.T) {
	sharedRecordings(t)
	t.Run("cisco-3560", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "ios_c3560", "")
		if res.Vendor != "Cisco" {
			t.Errorf("vendor %q", res.Vendor)
		}
		st := countValues(res, "roomwatch_if_oper_status")
		if st[1] != 4 || st[2] != 54 || len(samples(res, "roomwatch_if_oper_status")) != 58 {
			t.Errorf("oper status counts %v, want 4 up, 54 down of 58", st)
		}
		check(t, res, 1, "roomwatch_if_oper_status", "ifName=Fa0/48")
		check(t, res, 0.07, "roomwatch_device_cpu_usage_ratio", "cpu=1")
		check(t, res, 20103300.0/(20103300+55248600), "roomwatch_device_memory_usage_ratio", "pool=Processor")
		check(t, res, 3594112.0/(3594112+4794496), "roomwatch_device_memory_usage_ratio", "pool=I/O")
		check(t, res, 1, "roomwatch_fan_ok", "fan=Switch#1, Fan#1")
		check(t, res, 1, "roomwatch_psu_ok", "psu=Sw1, PS1 Normal, RPS NotExist")
		info := samples(res, "roomwatch_device_reported_info")
		if len(info) != 1 || !strings.HasPrefix(info[0].Labels["sys_descr"], `"Cisco IOS Software, C3560`) ||
			info[0].Labels["sys_object_id"] != "1.3.6.1.4.1.9.1.634" || info[0].Labels["profiles"] != "if-mib,system,cisco" {
			t.Errorf("device info %+v", info)
		}
	})
	t.Run("huawei-s5328", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "vrp_s5328c-ei", "")
		st := countValues(res, "roomwatch_if_oper_status")
		if st[1] != 25 || st[2] != 6 {
			t.Errorf("oper status %v, want 25 up, 6 down", st)
		}
		check(t, res, 2, "roomwatch_if_oper_status", "ifName=GigabitEthernet0/0/18")
		check(t, res, 2, "roomwatch_if_admin_status", "ifName=GigabitEthernet0/0/18")
		if ad := countValues(res, "roomwatch_if_admin_status"); ad[2] != 4 {
			t.Errorf("admin down %d, want 4", ad[2])
		}
		check(t, res, 0.19, "roomwatch_device_cpu_usage_ratio", "entity=MPU Board 0")
		check(t, res, 0.54, "roomwatch_device_memory_usage_ratio", "entity=MPU Board 0")
		check(t, res, 38, "roomwatch_device_temperature_celsius", "entity=MPU Board 0")
		check(t, res, 1, "roomwatch_fan_ok", "fan=0.3")
		if n := len(samples(res, "roomwatch_device_cpu_usage_ratio")); n != 1 {
			t.Errorf("%d CPU series, want 1 (boards with memory only)", n)
		}
	})
	t.Run("h3c-a5500", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "comware_a5500", "")
		st := countValues(res, "roomwatch_if_oper_status")
		if st[1] != 26 || st[2] != 4 {
			t.Errorf("oper status %v, want 26 up, 4 down", st)
		}
		check(t, res, 0.08, "roomwatch_device_cpu_usage_ratio", "entity=Board")
		check(t, res, 0.47, "roomwatch_device_memory_usage_ratio", "entity=Board")
		check(t, res, 38, "roomwatch_device_temperature_celsius", "entity=Sensor1")
		check(t, res, 1, "roomwatch_fan_ok", "fan=1")
		check(t, res, 1, "roomwatch_psu_ok", "psu=1")
		if n := len(samples(res, "roomwatch_psu_ok")); n != 1 {
			t.Errorf("%d PSU series, want 1 (PSU2 not installed)", n)
		}
	})
	t.Run("ruijie-s6220", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "ruijie", "")
		st := countValues(res, "roomwatch_if_oper_status")
		if st[1] != 37 || st[2] != 20 {
			t.Errorf("oper status %v, want 37 up, 20 down", st)
		}
		check(t, res, 1, "roomwatch_if_oper_status", "ifName=Mg 0")
		if res.Vendor != "Ruijie" {
			t.Errorf("vendor %q", res.Vendor)
		}
		if n := len(samples(res, "roomwatch_device_cpu_usage_ratio")); n != 0 {
			t.Errorf("CPU reported from a recording without Ruijie OIDs")
		}
		if n := len(samples(res, "roomwatch_if_receive_bytes_total")); n != 57 {
			t.Errorf("%d receive counters, want 57", n)
		}
	})
	t.Run("apc-smt750", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "apc_smt750x-nmc2", "")
		check(t, res, 1, "roomwatch_ups_battery_charge_ratio")
		check(t, res, 109762, "roomwatch_ups_battery_runtime_seconds")
		check(t, res, 23.4, "roomwatch_ups_battery_temperature_celsius")
		check(t, res, 54.7, "roomwatch_ups_battery_voltage_volts")
		check(t, res, 119.1, "roomwatch_ups_input_voltage_volts", "line=1")
		check(t, res, 0, "roomwatch_ups_load_ratio", "line=1")
		check(t, res, 3, "roomwatch_ups_output_source")
		check(t, res, 0, "roomwatch_ups_on_battery")
		check(t, res, 0, "roomwatch_ups_replace_battery")
		check(t, res, 20, "roomwatch_env_temperature_celsius", "sensor=Equipment Room")
		check(t, res, 0, "roomwatch_env_alarm", "sensor=Equipment Room")
		if len(samples(res, "roomwatch_env_humidity_ratio")) != 0 {
			t.Error("humidity -1 (no sensor) was reported")
		}
		if len(samples(res, "roomwatch_ups_battery_status")) != 0 {
			t.Error("absent upsBasicBatteryStatus was reported")
		}
		if res.Model != "Smart-UPS X 750" {
			t.Errorf("model %q", res.Model)
		}
	})
	t.Run("apc-sua1500", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "apc_sua1500rmi2u", "")
		check(t, res, 3960, "roomwatch_ups_battery_runtime_seconds")
		check(t, res, 1, "roomwatch_ups_battery_charge_ratio")
		check(t, res, 0.169, "roomwatch_ups_load_ratio", "line=1")
		check(t, res, 239, "roomwatch_ups_input_voltage_volts", "line=1")
		check(t, res, 26, "roomwatch_env_temperature_celsius", "sensor=AP9512T")
	})
	t.Run("apc-powerchute", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "apc_powerchute", "")
		check(t, res, 1, "roomwatch_ups_battery_charge_ratio") // the plain capacity fallback
		check(t, res, 7560, "roomwatch_ups_battery_runtime_seconds")
		check(t, res, 0.31, "roomwatch_ups_load_ratio", "line=1")
		check(t, res, 244, "roomwatch_ups_input_voltage_volts", "line=1")
		check(t, res, 21, "roomwatch_ups_battery_temperature_celsius")
	})
	t.Run("huawei-ups2000", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "huaweiups_ups2000", "")
		check(t, res, 2, "roomwatch_ups_battery_status") // Gauge32 on the wire
		check(t, res, 1, "roomwatch_ups_battery_charge_ratio")
		check(t, res, 3, "roomwatch_ups_output_source")
		check(t, res, 0, "roomwatch_ups_on_battery")
		check(t, res, 270.7, "roomwatch_ups_battery_voltage_volts")
		check(t, res, 233, "roomwatch_ups_input_voltage_volts", "line=1")
		check(t, res, 50, "roomwatch_ups_input_frequency_hertz", "line=1")
		check(t, res, 0.27, "roomwatch_ups_load_ratio", "line=1")
		if len(samples(res, "roomwatch_ups_battery_runtime_seconds")) != 0 {
			t.Error("placeholder runtime 4294967295 was reported")
		}
		if res.Vendor != "Huawei" || res.Model != "UPS2000 6kVA" {
			t.Errorf("vendor/model %q/%q", res.Vendor, res.Model)
		}
		info := samples(res, "roomwatch_ups_info")
		if len(info) != 1 || info[0].Labels["manufacturer"] != "HUAWEI" {
			t.Errorf("ups info %+v", info)
		}
	})
	t.Run("generex-3phase", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "generex-ups_cs141", "")
		check(t, res, 544*60, "roomwatch_ups_battery_runtime_seconds")
		check(t, res, 4, "roomwatch_ups_output_source") // bypass
		check(t, res, 0, "roomwatch_ups_on_battery")
		if n := len(samples(res, "roomwatch_ups_output_voltage_volts")); n != 3 {
			t.Errorf("%d output lines, want 3", n)
		}
	})
	t.Run("netagent-xppc", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "netagent2", "")
		check(t, res, 2, "roomwatch_ups_battery_status")
		check(t, res, 1, "roomwatch_ups_battery_charge_ratio")
		check(t, res, 25, "roomwatch_ups_battery_temperature_celsius")
		check(t, res, 254.5, "roomwatch_ups_input_voltage_volts", "line=1")
		check(t, res, 7, "roomwatch_ups_output_source") // onBuck → reducer
		check(t, res, 0.44, "roomwatch_ups_load_ratio", "line=1")
		if len(samples(res, "roomwatch_ups_battery_runtime_seconds")) != 0 {
			t.Error("placeholder runtime 9999 was reported")
		}
	})
	t.Run("liebert-ac", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "liebert_weblbds", "")
		check(t, res, 24, "roomwatch_ac_return_temperature_celsius")
		check(t, res, 30, "roomwatch_ac_return_temperature_high_threshold_celsius")
		check(t, res, 25, "roomwatch_ac_supply_temperature_celsius")
		check(t, res, 0.34, "roomwatch_ac_return_humidity_ratio")
		check(t, res, 1, "roomwatch_ac_unit_state")
		check(t, res, 0, "roomwatch_ac_general_alarm")
		check(t, res, 0.13, "roomwatch_ac_cooling_ratio")
		check(t, res, 52*60, "roomwatch_ups_battery_runtime_seconds")
		check(t, res, 3, "roomwatch_ups_output_source")
	})
	t.Run("vertiv-dcs", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "vertiv-dcs", "vertiv-dcs")
		check(t, res, 19.5, "roomwatch_ac_supply_temperature_celsius")
		check(t, res, 27.3, "roomwatch_ac_return_temperature_celsius")
		check(t, res, 1, "roomwatch_ac_unit_state")
		check(t, res, 22.6, "roomwatch_env_temperature_celsius", "sensor=cabinet_front")
		check(t, res, 0.596, "roomwatch_env_humidity_ratio", "sensor=outside")
		check(t, res, 0, "roomwatch_env_water_leak", "sensor=cabinet")
		check(t, res, 0, "roomwatch_env_door_open", "door=rear")
		check(t, res, 1, "roomwatch_ups_battery_charge_ratio")
		check(t, res, 34.5*60, "roomwatch_ups_battery_runtime_seconds")
		check(t, res, 0.294, "roomwatch_ups_load_ratio", "line=1")
	})
	t.Run("hwg-poseidon", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "hwg-poseidon", "")
		check(t, res, 28.5, "roomwatch_env_temperature_celsius", "sensor=T.Network")
		check(t, res, 0.296, "roomwatch_env_humidity_ratio", "sensor=H.Servidores")
		if len(samples(res, "roomwatch_env_temperature_celsius")) != 4 || len(samples(res, "roomwatch_env_humidity_ratio")) != 4 {
			t.Error("want 4 temperature and 4 humidity sensors")
		}
	})
	t.Run("hwg-wld", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "hwg-wld_wld2", "")
		check(t, res, 0, "roomwatch_env_water_leak", "sensor=Sonde Nord")
		check(t, res, 1, "roomwatch_env_sensor_ok", "sensor=Sonde Nord")
		check(t, res, 0, "roomwatch_env_sensor_ok", "sensor=Water 502")
		check(t, res, 2, "roomwatch_env_alarm", "sensor=Water 502")
		if n := len(samples(res, "roomwatch_env_water_leak")); n != 1 {
			t.Errorf("%d leak readings, want 1 (disconnected zones have none)", n)
		}
	})
	t.Run("akcp", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "akcp_serverprobe8", "")
		check(t, res, 22, "roomwatch_env_temperature_celsius", "sensor=Temp.Sensor 1")
		check(t, res, 0.42, "roomwatch_env_humidity_ratio", "sensor=Custom Descr 1")
		if len(samples(res, "roomwatch_env_temperature_celsius")) != 3 || len(samples(res, "roomwatch_env_humidity_ratio")) != 3 {
			t.Error("want 3 online temperature and 3 humidity sensors")
		}
	})
	t.Run("hikvision-nvr", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "hikvision-nvr", "")
		check(t, res, 0.05, "roomwatch_device_memory_usage_ratio")
		check(t, res, 3815447*1048576.0, "roomwatch_nvr_disk_capacity_bytes", "disk=1.0")
		check(t, res, 1-2715648.0/3815447, "roomwatch_nvr_disk_usage_ratio", "disk=1.0")
	})
	t.Run("hikvision-camera", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "hikvision-cam", "hikvision-camera")
		check(t, res, 0.15, "roomwatch_device_cpu_usage_ratio")
		check(t, res, 0.83, "roomwatch_device_memory_usage_ratio")
		check(t, res, 0, "roomwatch_device_storage_usage_ratio")
		if res.Model != "DS-2CD2185FWD-I" {
			t.Errorf("model %q", res.Model)
		}
	})
	t.Run("dahua-nvr", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "dahua-nvr", "")
		check(t, res, 1, "roomwatch_nvr_device_ok")
		check(t, res, 0.06, "roomwatch_device_cpu_usage_ratio")
		check(t, res, 1, "roomwatch_if_oper_status", "ifDescr=eth0")
		check(t, res, 100e6, "roomwatch_if_speed_bits_per_second", "ifDescr=eth0")
	})
	t.Run("printer", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "jetdirect_m252dw", "")
		check(t, res, 0.63, "roomwatch_printer_supply_level_ratio", "supply=Black Cartridge HP CF400X", "supply_type=toner")
		check(t, res, 0.36, "roomwatch_printer_supply_level_ratio", "supply=Yellow Cartridge HP CF402X")
		check(t, res, 2, "roomwatch_printer_status")
		if st := countValues(res, "roomwatch_if_oper_status"); st[1] != 2 || st[2] != 2 {
			t.Errorf("oper status %v, want 2 up 2 down", st)
		}
	})
	t.Run("linux-unknown-profile", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "linux_opensips", "")
		check(t, res, 946447.41, "roomwatch_device_uptime_seconds")
		check(t, res, 1, "roomwatch_if_oper_status", "ifName=eth0")
		info := samples(res, "roomwatch_device_reported_info")
		if len(info) != 1 || info[0].Labels["profiles"] != "if-mib,system" || info[0].Labels["reported_vendor"] != "" {
			t.Errorf("device info %+v", info)
		}
		if len(samples(res, "roomwatch_if_receive_bytes_total")) != 2 {
			t.Error("want 2 receive counters")
		}
	})
}
