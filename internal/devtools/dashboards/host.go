package dashboards

// Host is the host dashboard 主机 for node_exporter-compatible metrics (the
// roomwatch agent's or a scraped node_exporter's).
//
// Hosts are picked by device, the name every monitored thing carries (the
// collector's scrape target or, for a pushing agent, its hostname). The
// agent's own device label of interfaces is stored as exported_device.
func Host() Dashboard {
	b := &board{}

	b.line(8,
		timeseries(12, "CPU 使用率 CPU usage",
			`1 - avg by (device) (rate(node_cpu_seconds_total{mode="idle",device=~"$host"}[$__rate_interval]))`).
			unit("percentunit").legend("{{device}}"),
		timeseries(12, "负载 Load (1m)",
			`node_load1{device=~"$host"}`).
			legend("{{device}}"),
	)
	b.line(8,
		timeseries(12, "内存使用率 Memory usage",
			`1 - node_memory_MemAvailable_bytes{device=~"$host"} / node_memory_MemTotal_bytes{device=~"$host"}`).
			unit("percentunit").legend("{{device}}"),
		timeseries(12, "交换分区 Swap used",
			`node_memory_SwapTotal_bytes{device=~"$host"} - node_memory_SwapFree_bytes{device=~"$host"}`).
			unit("bytes").legend("{{device}}"),
	)
	b.line(8,
		bargauge(12, "文件系统使用率 Filesystem usage",
			`1 - node_filesystem_avail_bytes{fstype!~"tmpfs|squashfs|overlay|iso9660",device=~"$host"} / `+
				`node_filesystem_size_bytes{fstype!~"tmpfs|squashfs|overlay|iso9660",device=~"$host"}`).
			unit("percentunit").legend("{{device}} {{mountpoint}}").
			thresholds("green", step(0.8, "orange"), step(0.9, "red")),
		table(12, "只读文件系统 Read-only filesystems",
			`node_filesystem_readonly{device=~"$host"} == 1`),
	)
	b.line(8,
		timeseries(12, "网络接收 Network receive",
			`rate(node_network_receive_bytes_total{exported_device!="lo",device=~"$host"}[$__rate_interval])`).
			unit("Bps").legend("{{device}} {{exported_device}}"),
		timeseries(12, "网络发送 Network transmit",
			`rate(node_network_transmit_bytes_total{exported_device!="lo",device=~"$host"}[$__rate_interval])`).
			unit("Bps").legend("{{device}} {{exported_device}}"),
	)
	b.line(8,
		timeseries(12, "磁盘读写 Disk I/O time",
			`rate(node_disk_io_time_seconds_total{device=~"$host"}[$__rate_interval])`).
			unit("percentunit").legend("{{device}}"),
		table(12, "关键进程 Watched processes",
			`roomwatch_process_up{device=~"$host"}`).
			valueText(ValueMappingResult{Text: "停止 DOWN", Color: "red"}, ValueMappingResult{Text: "运行 UP", Color: "green"}),
	)
	b.line(6,
		table(16, "主机信息 Host info",
			`roomwatch_host_info{device=~"$host"}`),
		stat(8, "最近上报 Last seen (push)",
			`time() - roomwatch_agent_last_seen_timestamp_seconds{agent=~"$host"}`).
			unit("s").legend("{{agent}}").
			thresholds("green", step(300, "red")),
	)

	return dashboard("roomwatch-host", "主机 Host (roomwatch-agent)", []string{"roomwatch", "host"}, b,
		datasourceVar(),
		queryVar("host", "主机 Host", "label_values(roomwatch_host_info, device)"),
	)
}
