package agent

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// sensorsSource reads /sys/class/hwmon (temperatures, fans) and
// /sys/class/thermal. A machine without either (most VMs) reports success
// and no series.
type sensorsSource struct {
	d    sensorDescs
	root string
	r    fileReader
}

func newSensorsSource(env sourceEnv) (source, error) {
	return &sensorsSource{d: newSensorDescs(), root: env.root}, nil
}

func (s *sensorsSource) update(_ context.Context, out *sink) error {
	if err := s.hwmon(out); err != nil {
		return err
	}
	return s.thermal(out)
}

func (s *sensorsSource) hwmon(out *sink) error {
	base := filepath.Join(s.root, "/sys/class/hwmon")
	chips, err := readDirNames(base)
	if err != nil {
		return err
	}
	for _, chipDir := range chips {
		dir := filepath.Join(base, chipDir)
		chip := s.chipName(dir, chipDir)
		files, err := readDirNames(dir)
		if err != nil {
			continue // the device went away
		}
		for _, f := range files {
			sensor, ok := strings.CutSuffix(f, "_input")
			if !ok {
				continue
			}
			v, err := s.readFloat(filepath.Join(dir, f))
			if err != nil {
				continue
			}
			switch {
			case strings.HasPrefix(sensor, "temp"):
				out.gauge(s.d.temp, v/1000, chip, sensor)
				if c, err := s.readFloat(filepath.Join(dir, sensor+"_crit")); err == nil {
					out.gauge(s.d.tempCrit, c/1000, chip, sensor)
				}
			case strings.HasPrefix(sensor, "fan"):
				out.gauge(s.d.fan, v, chip, sensor)
			}
		}
	}
	return nil
}

// chipName is the driver's name (coretemp, nct6775, …) plus the hwmon index,
// so that two chips of one driver stay apart.
func (s *sensorsSource) chipName(dir, hwmon string) string {
	name, err := s.r.read(filepath.Join(dir, "name"))
	if err != nil {
		return hwmon
	}
	return strings.TrimSpace(string(name)) + "_" + strings.TrimPrefix(hwmon, "hwmon")
}

func (s *sensorsSource) thermal(out *sink) error {
	base := filepath.Join(s.root, "/sys/class/thermal")
	zones, err := readDirNames(base)
	if err != nil {
		return err
	}
	for _, z := range zones {
		num, ok := strings.CutPrefix(z, "thermal_zone")
		if !ok {
			continue
		}
		v, err := s.readFloat(filepath.Join(base, z, "temp"))
		if err != nil {
			continue // a zone whose sensor is off reads an error: leave it out
		}
		typ, err := s.r.read(filepath.Join(base, z, "type"))
		if err != nil {
			continue
		}
		out.gauge(s.d.zone, v/1000, num, strings.TrimSpace(string(typ)))
	}
	return nil
}

func (s *sensorsSource) readFloat(path string) (float64, error) {
	b, err := s.r.read(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
}

// readDirNames lists a directory sorted; a missing one is empty, not an error.
func readDirNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	sort.Strings(names)
	return names, err
}
