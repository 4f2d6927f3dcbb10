package agent

import "github.com/prometheus/client_golang/prometheus"

// sensorDescs are node_exporter's hwmon and thermal_zone series.
type sensorDescs struct {
	temp, tempCrit, fan, zone *prometheus.Desc
}

func newSensorDescs() sensorDescs {
	return sensorDescs{
		temp:     desc("node_hwmon_temp_celsius", "Hardware monitor for temperature (input).", "chip", "sensor"),
		tempCrit: desc("node_hwmon_temp_crit_celsius", "Hardware monitor for temperature (crit).", "chip", "sensor"),
		fan:      desc("node_hwmon_fan_rpm", "Hardware monitor for fan revolutions per minute (input).", "chip", "sensor"),
		zone:     desc("node_thermal_zone_temp", "Zone temperature in Celsius.", "zone", "type"),
	}
}
