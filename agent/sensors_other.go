//go:build !linux

package agent

import (
	"context"
	"errors"

	"github.com/shirou/gopsutil/v4/sensors"
)

// sensorsSource uses gopsutil (WMI thermal zones on Windows). Fans are not
// exposed there.
type sensorsSource struct {
	d sensorDescs
}

func newSensorsSource(sourceEnv) (source, error) { return &sensorsSource{d: newSensorDescs()}, nil }

func (s *sensorsSource) update(ctx context.Context, out *sink) error {
	temps, err := sensors.TemperaturesWithContext(ctx)
	var warn *sensors.Warnings
	switch {
	case err == nil, errors.As(err, &warn):
	case len(temps) == 0:
		// Windows VMs and many servers have no ACPI thermal zone in WMI: that
		// is "no sensors", not a failure.
		return nil
	default:
		return err
	}
	for _, t := range temps {
		out.gauge(s.d.temp, t.Temperature, "acpi", t.SensorKey)
		if t.Critical > 0 {
			out.gauge(s.d.tempCrit, t.Critical, "acpi", t.SensorKey)
		}
	}
	return nil
}
