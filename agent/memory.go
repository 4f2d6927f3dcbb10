package agent

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// memoryDescs caches one Desc per /proc/meminfo key (or per gopsutil field):
// node_memory_<Key>_bytes, as node_exporter's meminfo collector names them.
type memoryDescs map[string]*prometheus.Desc

func (m memoryDescs) get(key string, bytes bool) *prometheus.Desc {
	if d, ok := m[key]; ok {
		return d
	}
	name := meminfoMetricName(key, bytes)
	d := desc(name, "Memory information field "+key+".")
	m[key] = d
	return d
}

// meminfoMetricName maps a /proc/meminfo key to node_exporter's metric name:
// "Active(anon)" → node_memory_Active_anon_bytes, "HugePages_Total" →
// node_memory_HugePages_Total.
func meminfoMetricName(key string, bytes bool) string {
	k := strings.NewReplacer("(", "_", ")", "").Replace(key)
	var b strings.Builder
	for _, r := range k {
		if r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	name := "node_memory_" + b.String()
	if bytes {
		name += "_bytes"
	}
	return name
}
