package dashboards

// Wall is the command-centre wall display 指挥中心大屏: availability, faults
// by level, power, climate, network and video, all filtered by the site
// variable (every selector carries site=~"$site").
//
// The queries marked "benchquery" are those of internal/devtools/bench/query (the
// query benchmark) with the site matcher added; keep them in step.
func Wall() Dashboard {
	b := &board{}

	b.row("设备可用性 Device availability")
	b.line(5,
		// benchquery: devices up per class.
		stat(12, "在线设备（按类别） Devices up by class",
			`count by (class) (roomwatch_probe_up{probe="icmp",site=~"$site"} == 1)`).
			legend("{{class}}").thresholds("green"),
		stat(12, "离线设备（按类别） Devices down by class",
			`count by (class) (roomwatch_probe_up{probe="icmp",site=~"$site"} == 0)`).
			legend("{{class}}").goodBad(),
	)
	b.line(8,
		// benchquery: availability per class (24h).
		bargauge(8, "24小时可用率（按类别） Availability by class, 24h",
			`avg by (class) (avg_over_time(roomwatch_probe_up{probe="icmp",site=~"$site"}[24h]))`).
			unit("percentunit").legend("{{class}}").
			thresholds("red", step(0.95, "orange"), step(0.99, "green")),
		table(16, "离线设备清单 Devices down",
			`roomwatch_probe_up{probe="icmp",site=~"$site"} == 0`).
			organize([]string{"Time", "Value", "__name__", "probe"},
				col("device", "设备 Device"), col("class", "类别 Class"), col("site", "站点 Site"),
				col("vendor", "厂商 Vendor"), col("model", "型号 Model")),
	)

	b.row("当前故障 Active faults (I–IV)")
	b.line(4,
		faultLevel("I", "I级 紧急 Critical", "dark-red"),
		faultLevel("II", "II级 严重 Major", "red"),
		faultLevel("III", "III级 较严重 Minor", "orange"),
		faultLevel("IV", "IV级 普通 Notice", "yellow"),
	)
	b.line(7,
		table(24, "当前告警清单 Firing alerts",
			`ALERTS{alertstate="firing",site=~"$site"}`).
			organize([]string{"Time", "Value", "__name__", "alertstate"},
				col("alertname", "告警 Alert"), col("fault_level", "等级 Level"), col("device", "设备 Device"),
				col("site", "站点 Site"), col("class", "类别 Class")),
	)

	b.row("供电 UPS")
	b.line(6,
		// benchquery: UPS on battery.
		stat(6, "UPS 电池供电 On battery",
			`count(roomwatch_ups_on_battery{site=~"$site"} == 1) or vector(0)`).
			goodBad(),
		bargauge(6, "UPS 后备时间 Runtime",
			`roomwatch_ups_battery_runtime_seconds{site=~"$site"}`).
			unit("s").legend("{{device}}").
			thresholds("red", step(600, "orange"), step(1800, "green")),
		timeseries(6, "UPS 负载 Load",
			`max by (device) (roomwatch_ups_load_ratio{site=~"$site"})`).
			unit("percentunit").legend("{{device}}"),
		bargauge(6, "UPS 电量 Battery charge",
			`roomwatch_ups_battery_charge_ratio{site=~"$site"}`).
			unit("percentunit").legend("{{device}}").
			thresholds("red", step(0.5, "orange"), step(0.9, "green")),
	)

	b.row("精密空调与环境 Precision AC and environment")
	b.line(7,
		timeseries(8, "温度 Temperature",
			`roomwatch_env_temperature_celsius{site=~"$site"}`,
			`roomwatch_ac_return_temperature_celsius{site=~"$site"}`).
			unit("celsius").legend("{{device}} {{sensor}}", "{{device}} 回风 return air"),
		timeseries(8, "湿度 Humidity",
			`roomwatch_env_humidity_ratio{site=~"$site"}`,
			`roomwatch_ac_return_humidity_ratio{site=~"$site"}`).
			unit("percentunit").legend("{{device}} {{sensor}}", "{{device}} 回风 return air"),
		stat(4, "漏水 Water leak",
			`max by (device, sensor) (roomwatch_env_water_leak{site=~"$site"})`).
			legend("{{device}} {{sensor}}").goodBad().
			valueText(ValueMappingResult{Text: "正常 OK"}, ValueMappingResult{Text: "漏水 LEAK"}),
		stat(4, "空调告警 AC alarm",
			`max by (device) (roomwatch_ac_general_alarm{site=~"$site"})`).
			legend("{{device}}").goodBad().
			valueText(ValueMappingResult{Text: "正常 OK"}, ValueMappingResult{Text: "告警 ALARM"}),
	)

	b.row("网络 Network")
	b.line(7,
		timeseries(8, "核心交换机CPU Core switch CPU",
			`max by (device) (roomwatch_device_cpu_usage_ratio{class="switch",site=~"$site"})`).
			unit("percentunit").legend("{{device}}"),
		// benchquery: interfaces down.
		stat(4, "端口中断 Interfaces down",
			`count(roomwatch_if_oper_status{class="switch",site=~"$site"} != 1 and roomwatch_if_admin_status == 1) or vector(0)`).
			goodBad(),
		table(12, "中断端口清单 Interfaces down (list)",
			`roomwatch_if_oper_status{class="switch",site=~"$site"} != 1 and roomwatch_if_admin_status == 1`).
			organize([]string{"Time", "Value", "__name__"}),
	)
	b.line(7,
		// benchquery: top-10 worst ping loss (1h).
		bargauge(12, "丢包率最高10台 Worst packet loss (1h)",
			`topk(10, avg_over_time(roomwatch_ping_loss_ratio{site=~"$site"}[1h]))`).
			unit("percentunit").legend("{{device}}").
			thresholds("green", step(0.05, "orange"), step(0.2, "red")),
		timeseries(12, "延迟 Ping RTT (avg)",
			`avg by (class) (roomwatch_ping_rtt_seconds{stat="avg",site=~"$site"})`).
			unit("s").legend("{{class}}"),
	)

	b.row("视频与卡口 Video and checkpoints")
	b.line(6,
		stat(4, "硬盘故障 NVR disks failed",
			`count(roomwatch_nvr_disk_ok{site=~"$site"} == 0) or vector(0)`).
			goodBad(),
		stat(4, "录像未开启通道 Channels not recording",
			`count(roomwatch_nvr_channel_recording_enabled{site=~"$site"} == 0) or vector(0)`).
			goodBad(),
		bargauge(8, "NVR 硬盘使用率 Disk usage",
			`max by (device) (roomwatch_nvr_disk_usage_ratio{site=~"$site"})`).
			unit("percentunit").legend("{{device}}").
			thresholds("green", step(0.95, "orange")),
		// benchquery: cameras offline per site.
		bargauge(8, "离线摄像机（按站点） Cameras offline by site",
			`count by (site) (roomwatch_probe_up{class="camera",probe="icmp",site=~"$site"} == 0)`).
			legend("{{site}}").thresholds("orange"),
	)
	b.line(7,
		stat(4, "离线摄像机总数 Cameras offline",
			`count(roomwatch_probe_up{class="camera",probe="icmp",site=~"$site"} == 0) or vector(0)`).
			goodBad(),
		table(10, "离线摄像机清单 Cameras offline (list)",
			`roomwatch_probe_up{class="camera",probe="icmp",site=~"$site"} == 0`).
			organize([]string{"Time", "Value", "__name__", "probe"}),
		bargauge(10, "卡口抓拍延迟 Checkpoint capture age",
			`sort_desc(roomwatch_checkpoint_capture_age_seconds{site=~"$site"})`).
			unit("s").legend("{{device}}").
			thresholds("green", step(600, "orange"), step(3600, "red")),
	)
	b.line(7,
		// benchquery: up per site, 24h graph (5m step).
		timeseries(24, "在线设备数（按站点） Devices up by site",
			`sum by (site) (roomwatch_probe_up{probe="icmp",site=~"$site"})`).
			legend("{{site}}"),
	)

	return dashboard("roomwatch-wall", "指挥中心大屏 Machine room overview", []string{"roomwatch", "wall"}, b,
		datasourceVar(),
		queryVar("site", "站点 Site", "label_values(roomwatch_device_info, site)"),
	)
}

// faultLevel is the count of firing alerts of one fault level (I-IV), green
// at zero and color from one.
func faultLevel(level, title, color string) *Panel {
	return stat(6, title,
		`count(ALERTS{alertstate="firing",fault_level="`+level+`",site=~"$site"}) or vector(0)`).
		thresholds("green", step(1, color))
}
