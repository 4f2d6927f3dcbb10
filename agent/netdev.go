package agent

import "github.com/prometheus/client_golang/prometheus"

// netdevFields returns /proc/net/dev's 16 columns in order, as node_exporter's
// netdev collector names them (node_network_<field>_total).
func netdevFields() [16]string {
	return [16]string{
		"receive_bytes", "receive_packets", "receive_errs", "receive_drop",
		"receive_fifo", "receive_frame", "receive_compressed", "receive_multicast",
		"transmit_bytes", "transmit_packets", "transmit_errs", "transmit_drop",
		"transmit_fifo", "transmit_colls", "transmit_carrier", "transmit_compressed",
	}
}

// netDescs are the netdev source's series.
type netDescs struct {
	counters       [16]*prometheus.Desc
	up, speed, mtu *prometheus.Desc
	info           *prometheus.Desc
}

func newNetDescs() netDescs {
	var d netDescs
	for i, f := range netdevFields() {
		d.counters[i] = desc("node_network_"+f+"_total", "Network device statistic "+f+".", "device")
	}
	d.up = desc("node_network_up", "Value is 1 if operstate is 'up', 0 otherwise.", "device")
	d.speed = desc("node_network_speed_bytes", "Link speed in bytes per second (absent when the driver does not report one).", "device")
	d.mtu = desc("node_network_mtu_bytes", "MTU of the interface in bytes.", "device")
	d.info = desc("node_network_info", "Non-numeric data of the interface; value is always 1.", "device", "address", "operstate", "duplex")
	return d
}
