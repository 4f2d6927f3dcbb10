package snmp

import (
	"testing"
)

// TestFaultRecordings polls the project's own recordings (testdata/snmprec,
// written from the MIBs) that hold the fault states alarms are built on.
func TestFaultRecordings(t *testing.T) {
	t.Run("apc-on-battery", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "ups-apc-onbattery", "")
		check(t, res, 1, "roomwatch_ups_on_battery")
		check(t, res, 5, "roomwatch_ups_output_source")
		check(t, res, 3, "roomwatch_ups_battery_status")
		check(t, res, 240, "roomwatch_ups_battery_runtime_seconds")
		check(t, res, 420, "roomwatch_ups_seconds_on_battery")
		check(t, res, 0.182, "roomwatch_ups_battery_charge_ratio")
		check(t, res, 1, "roomwatch_ups_replace_battery")
		check(t, res, 3, "roomwatch_ups_self_test_result")
		check(t, res, 0, "roomwatch_ups_input_voltage_volts", "line=1")
		check(t, res, 0.643, "roomwatch_ups_load_ratio", "line=1")
		check(t, res, 1, "roomwatch_env_water_leak", "sensor=Raised floor")
	})
	t.Run("eaton-on-battery", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "ups-eaton-onbattery", "")
		check(t, res, 1, "roomwatch_ups_on_battery")
		check(t, res, 240, "roomwatch_ups_battery_runtime_seconds")
		check(t, res, 0.12, "roomwatch_ups_battery_charge_ratio")
		check(t, res, 2, "roomwatch_ups_alarms")
		check(t, res, 3, "roomwatch_ups_self_test_result")
		check(t, res, 0.71, "roomwatch_ups_load_ratio", "line=1")
		check(t, res, 0, "roomwatch_ups_input_voltage_volts", "line=1")
		if res.Vendor != "Eaton" || res.Model != "9PX 6000i" {
			t.Errorf("vendor/model %q/%q", res.Vendor, res.Model)
		}
	})
	t.Run("rfc1628-low-battery", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "ups-rfc1628-lowbattery", "")
		check(t, res, 1, "roomwatch_ups_on_battery")
		check(t, res, 3, "roomwatch_ups_battery_status")
		check(t, res, 240, "roomwatch_ups_battery_runtime_seconds")
		check(t, res, 0.09, "roomwatch_ups_battery_charge_ratio")
		check(t, res, 3, "roomwatch_ups_alarms")
		check(t, res, 3, "roomwatch_ups_self_test_result")
		info := samples(res, "roomwatch_ups_info")
		if len(info) != 1 || info[0].Labels["manufacturer"] != "科华" {
			t.Errorf("ups info %+v", info)
		}
	})
	t.Run("liebert-high-temperature", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "ac-liebert-hightemp", "")
		check(t, res, 33, "roomwatch_ac_return_temperature_celsius")
		check(t, res, 30, "roomwatch_ac_return_temperature_high_threshold_celsius")
		check(t, res, 27, "roomwatch_ac_supply_temperature_celsius")
		check(t, res, 0.71, "roomwatch_ac_return_humidity_ratio")
		check(t, res, 1, "roomwatch_ac_general_alarm")
		check(t, res, 2, "roomwatch_ac_alarms")
		check(t, res, 1, "roomwatch_ac_cooling_ratio")
	})
	t.Run("huawei-ports-down", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "switch-huawei-portsdown", "")
		check(t, res, 1, "roomwatch_if_oper_status", "ifName=GE0/0/1", "ifAlias=上联主干")
		// Admin up, oper down: the port alarm. The alias is GBK on the wire.
		check(t, res, 2, "roomwatch_if_oper_status", "ifName=GE0/0/2", "ifAlias=上联到会理中心")
		check(t, res, 1, "roomwatch_if_admin_status", "ifName=GE0/0/2")
		check(t, res, 2, "roomwatch_if_admin_status", "ifName=GE0/0/3", "ifAlias=")
		check(t, res, 18446744073709551615, "roomwatch_if_receive_bytes_total", "ifName=GE0/0/1")
		check(t, res, 17, "roomwatch_if_receive_errors_total", "ifName=GE0/0/1")
		check(t, res, 1e9, "roomwatch_if_speed_bits_per_second", "ifName=GE0/0/1", "ifType=ethernetCsmacd")
		check(t, res, 0, "roomwatch_fan_ok", "fan=0.2")
		check(t, res, 0, "roomwatch_psu_ok", "psu=0.2")
		info := samples(res, "roomwatch_device_reported_info")
		if len(info) != 1 || info[0].Labels["sys_name"] != "核心交换机" {
			t.Errorf("device info %+v", info)
		}
		// This recording has neither ifHCOutOctets nor ifOutOctets: no series.
		if n := len(samples(res, "roomwatch_if_transmit_bytes_total")); n != 0 {
			t.Errorf("%d transmit counters from nothing", n)
		}
	})
	t.Run("hikvision-disk-failed", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "nvr-hikvision-diskfailed", "")
		check(t, res, 0, "roomwatch_nvr_disk_status", "disk=1", "volume=HDD1")
		check(t, res, 2, "roomwatch_nvr_disk_status", "disk=2", "volume=HDD2")
		check(t, res, 1-1000000.0/3815447, "roomwatch_nvr_disk_usage_ratio", "disk=1")
		if n := len(samples(res, "roomwatch_nvr_disk_usage_ratio", "disk=2")); n != 0 {
			t.Error("usage of a zero-capacity disk was reported")
		}
		check(t, res, 1, "roomwatch_nvr_device_ok")
		check(t, res, 0.37, "roomwatch_device_memory_usage_ratio")
	})
	t.Run("toner-empty", func(t *testing.T) {
		t.Parallel()
		res := mustPoll(t, "printer-toner-empty", "")
		check(t, res, 0, "roomwatch_printer_supply_level_ratio", "supply=Black Cartridge HP CF259A", "supply_type=toner")
		if n := len(samples(res, "roomwatch_printer_supply_level_ratio", "supply=Imaging Drum")); n != 0 {
			t.Error("level -3 (some remaining) was reported")
		}
		check(t, res, 3, "roomwatch_printer_status", "printer=HP LaserJet Pro M404dn")
	})
}
