// Package buildinfo carries the version stamped into roomwatch binaries at link
// time (see the Makefile's LDFLAGS) and exposes it as a Prometheus build_info metric.
package buildinfo

import (
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// Set by the linker: -X github.com/roomwatch/roomwatch/internal/buildinfo.Version=…
var (
	Version  = "dev"
	Revision = ""
)

// Info describes the running binary.
type Info struct {
	Version   string `json:"version"`
	Revision  string `json:"revision"`
	GoVersion string `json:"goVersion"`
	Branch    string `json:"branch"`
	BuildDate string `json:"buildDate"`
}

// Get returns the build information, falling back to the VCS data Go records.
func Get() Info {
	info := Info{Version: Version, Revision: Revision, GoVersion: runtime.Version()}
	if info.Revision == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					info.Revision = s.Value
				case "vcs.time":
					info.BuildDate = s.Value
				}
			}
		}
	}
	return info
}

// NewCollector returns a gauge <program>_build_info{version,revision,goversion} = 1.
func NewCollector(program string) prometheus.Collector {
	i := Get()
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        program + "_build_info",
		Help:        "A metric with a constant '1' value labelled by version, revision and Go version from which " + program + " was built.",
		ConstLabels: prometheus.Labels{"version": i.Version, "revision": i.Revision, "goversion": i.GoVersion},
	})
	g.Set(1)
	return g
}
