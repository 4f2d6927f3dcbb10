import json
DS = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
S = 'site=~"$site"'
pid = [0]
def panel(title, typ, exprs, x, y, w, h, unit=None, legend=None, instant=False, fmt=None, thresholds=None, mappings=None, extra=None):
    pid[0] += 1
    targets = []
    for i, e in enumerate(exprs):
        t = {"refId": chr(65 + i), "datasource": DS, "expr": e}
        if legend: t["legendFormat"] = legend[i] if isinstance(legend, list) else legend
        if instant: t["instant"] = True; t["range"] = False
        if fmt: t["format"] = fmt
        targets.append(t)
    p = {"id": pid[0], "type": typ, "title": title, "datasource": DS,
         "gridPos": {"x": x, "y": y, "w": w, "h": h}, "targets": targets,
         "fieldConfig": {"defaults": {}, "overrides": []}, "options": {}}
    d = p["fieldConfig"]["defaults"]
    if unit: d["unit"] = unit
    if thresholds:
        d["thresholds"] = {"mode": "absolute", "steps": [{"color": c, "value": v} for v, c in thresholds]}
    if mappings: d["mappings"] = mappings
    if typ == "stat":
        p["options"] = {"colorMode": "background", "graphMode": "none", "textMode": "value_and_name", "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}
    if typ == "table":
        p["options"] = {"showHeader": True}
    if extra: p.update(extra)
    return p
def row(title, y):
    pid[0] += 1
    return {"id": pid[0], "type": "row", "title": title, "collapsed": False, "gridPos": {"x": 0, "y": y, "w": 24, "h": 1}, "panels": []}
GOOD_BAD = [(None, "green"), (1, "red")]
def var_ds():
    return {"name": "DS_PROMETHEUS", "label": "数据源 Data source", "type": "datasource", "query": "prometheus", "current": {"text": "roomwatch", "value": "roomwatch"}, "hide": 0}
def var_q(name, label, q, multi=True):
    return {"name": name, "label": label, "type": "query", "datasource": DS, "query": {"query": q, "refId": "V"}, "definition": q,
            "refresh": 2, "includeAll": True, "multi": multi, "allValue": ".*", "current": {"text": "All", "value": "$__all"}, "sort": 1, "hide": 0}
def dash(uid, title, tags, panels, templ):
    return {"uid": uid, "title": title, "tags": tags, "timezone": "browser", "schemaVersion": 39, "version": 1, "editable": True,
            "style": "dark", "graphTooltip": 1, "refresh": "30s", "time": {"from": "now-6h", "to": "now"},
            "timepicker": {"refresh_intervals": ["30s", "1m", "5m"]}, "panels": panels, "templating": {"list": templ},
            "annotations": {"list": []}, "links": [], "fiscalYearStartMonth": 0, "liveNow": False, "weekStart": ""}

# ---------------- wall display ----------------
P = []
y = 0
P.append(row("设备可用性 Device availability", y)); y += 1
# reused from internal/store/benchquery: "devices up per class" (plus site filter)
P.append(panel("在线设备（按类别） Devices up by class", "stat", [f'count by (class) (roomwatch_probe_up{{probe="icmp",{S}}} == 1)'], 0, y, 12, 5, legend="{{class}}", instant=True, thresholds=[(None, "green")]))
P.append(panel("离线设备（按类别） Devices down by class", "stat", [f'count by (class) (roomwatch_probe_up{{probe="icmp",{S}}} == 0)'], 12, y, 12, 5, legend="{{class}}", instant=True, thresholds=[(None, "green"), (1, "red")]))
y += 5
# reused: "availability per class (24h)"
P.append(panel("24小时可用率（按类别） Availability by class, 24h", "bargauge", [f'avg by (class) (avg_over_time(roomwatch_probe_up{{probe="icmp",{S}}}[24h]))'], 0, y, 8, 8, unit="percentunit", legend="{{class}}", instant=True, thresholds=[(None, "red"), (0.95, "orange"), (0.99, "green")]))
P.append(panel("离线设备清单 Devices down", "table", [f'roomwatch_probe_up{{probe="icmp",{S}}} == 0'], 8, y, 16, 8, instant=True, fmt="table",
    extra={"transformations": [{"id": "organize", "options": {"excludeByName": {"Time": True, "Value": True, "__name__": True, "probe": True}, "renameByName": {"device": "设备 Device", "class": "类别 Class", "site": "站点 Site", "vendor": "厂商 Vendor", "model": "型号 Model"}}}]}))
y += 8
P.append(row("当前故障 Active faults (I–IV)", y)); y += 1
for i, (lvl, zh, color) in enumerate([("I", "I级 紧急 Critical", "dark-red"), ("II", "II级 严重 Major", "red"), ("III", "III级 较严重 Minor", "orange"), ("IV", "IV级 普通 Notice", "yellow")]):
    P.append(panel(zh, "stat", [f'count(ALERTS{{alertstate="firing",fault_level="{lvl}",{S}}}) or vector(0)'], i * 6, y, 6, 4, instant=True, thresholds=[(None, "green"), (1, color)]))
y += 4
P.append(panel("当前告警清单 Firing alerts", "table", [f'ALERTS{{alertstate="firing",{S}}}'], 0, y, 24, 7, instant=True, fmt="table",
    extra={"transformations": [{"id": "organize", "options": {"excludeByName": {"Time": True, "Value": True, "__name__": True, "alertstate": True}, "renameByName": {"alertname": "告警 Alert", "fault_level": "等级 Level", "device": "设备 Device", "site": "站点 Site", "class": "类别 Class"}}}]}))
y += 7
P.append(row("供电 UPS", y)); y += 1
# reused: "UPS on battery"
P.append(panel("UPS 电池供电 On battery", "stat", [f'count(roomwatch_ups_on_battery{{{S}}} == 1) or vector(0)'], 0, y, 6, 6, instant=True, thresholds=GOOD_BAD))
P.append(panel("UPS 后备时间 Runtime", "bargauge", [f'roomwatch_ups_battery_runtime_seconds{{{S}}}'], 6, y, 6, 6, unit="s", legend="{{device}}", instant=True, thresholds=[(None, "red"), (600, "orange"), (1800, "green")]))
P.append(panel("UPS 负载 Load", "timeseries", [f'max by (device) (roomwatch_ups_load_ratio{{{S}}})'], 12, y, 6, 6, unit="percentunit", legend="{{device}}"))
P.append(panel("UPS 电量 Battery charge", "bargauge", [f'roomwatch_ups_battery_charge_ratio{{{S}}}'], 18, y, 6, 6, unit="percentunit", legend="{{device}}", instant=True, thresholds=[(None, "red"), (0.5, "orange"), (0.9, "green")]))
y += 6
P.append(row("精密空调与环境 Precision AC and environment", y)); y += 1
P.append(panel("温度 Temperature", "timeseries", [f'roomwatch_env_temperature_celsius{{{S}}}', f'roomwatch_ac_return_temperature_celsius{{{S}}}'], 0, y, 8, 7, unit="celsius", legend=["{{device}} {{sensor}}", "{{device}} 回风 return air"]))
P.append(panel("湿度 Humidity", "timeseries", [f'roomwatch_env_humidity_ratio{{{S}}}', f'roomwatch_ac_return_humidity_ratio{{{S}}}'], 8, y, 8, 7, unit="percentunit", legend=["{{device}} {{sensor}}", "{{device}} 回风 return air"]))
P.append(panel("漏水 Water leak", "stat", [f'max by (device, sensor) (roomwatch_env_water_leak{{{S}}})'], 16, y, 4, 7, legend="{{device}} {{sensor}}", instant=True, thresholds=GOOD_BAD,
    mappings=[{"type": "value", "options": {"0": {"text": "正常 OK"}, "1": {"text": "漏水 LEAK"}}}]))
P.append(panel("空调告警 AC alarm", "stat", [f'max by (device) (roomwatch_ac_general_alarm{{{S}}})'], 20, y, 4, 7, legend="{{device}}", instant=True, thresholds=GOOD_BAD,
    mappings=[{"type": "value", "options": {"0": {"text": "正常 OK"}, "1": {"text": "告警 ALARM"}}}]))
y += 7
P.append(row("网络 Network", y)); y += 1
P.append(panel("核心交换机CPU Core switch CPU", "timeseries", [f'max by (device) (roomwatch_device_cpu_usage_ratio{{class="switch",{S}}})'], 0, y, 8, 7, unit="percentunit", legend="{{device}}"))
# reused: "interfaces down" (plus site filter)
P.append(panel("端口中断 Interfaces down", "stat", [f'count(roomwatch_if_oper_status{{class="switch",{S}}} != 1 and roomwatch_if_admin_status == 1) or vector(0)'], 8, y, 4, 7, instant=True, thresholds=GOOD_BAD))
P.append(panel("中断端口清单 Interfaces down (list)", "table", [f'roomwatch_if_oper_status{{class="switch",{S}}} != 1 and roomwatch_if_admin_status == 1'], 12, y, 12, 7, instant=True, fmt="table",
    extra={"transformations": [{"id": "organize", "options": {"excludeByName": {"Time": True, "Value": True, "__name__": True}}}]}))
y += 7
# reused: "top-10 worst ping loss (1h)"
P.append(panel("丢包率最高10台 Worst packet loss (1h)", "bargauge", [f'topk(10, avg_over_time(roomwatch_ping_loss_ratio{{{S}}}[1h]))'], 0, y, 12, 7, unit="percentunit", legend="{{device}}", instant=True, thresholds=[(None, "green"), (0.05, "orange"), (0.2, "red")]))
P.append(panel("延迟 Ping RTT (avg)", "timeseries", [f'avg by (class) (roomwatch_ping_rtt_seconds{{stat="avg",{S}}})'], 12, y, 12, 7, unit="s", legend="{{class}}"))
y += 7
P.append(row("视频与卡口 Video and checkpoints", y)); y += 1
P.append(panel("硬盘故障 NVR disks failed", "stat", [f'count(roomwatch_nvr_disk_ok{{{S}}} == 0) or vector(0)'], 0, y, 4, 6, instant=True, thresholds=GOOD_BAD))
P.append(panel("录像未开启通道 Channels not recording", "stat", [f'count(roomwatch_nvr_channel_recording_enabled{{{S}}} == 0) or vector(0)'], 4, y, 4, 6, instant=True, thresholds=GOOD_BAD))
P.append(panel("NVR 硬盘使用率 Disk usage", "bargauge", [f'max by (device) (roomwatch_nvr_disk_usage_ratio{{{S}}})'], 8, y, 8, 6, unit="percentunit", legend="{{device}}", instant=True, thresholds=[(None, "green"), (0.95, "orange")]))
# reused: "cameras offline per site"
P.append(panel("离线摄像机（按站点） Cameras offline by site", "bargauge", [f'count by (site) (roomwatch_probe_up{{class="camera",probe="icmp",{S}}} == 0)'], 16, y, 8, 6, legend="{{site}}", instant=True, thresholds=[(None, "orange")]))
y += 6
P.append(panel("离线摄像机总数 Cameras offline", "stat", [f'count(roomwatch_probe_up{{class="camera",probe="icmp",{S}}} == 0) or vector(0)'], 0, y, 4, 7, instant=True, thresholds=GOOD_BAD))
P.append(panel("离线摄像机清单 Cameras offline (list)", "table", [f'roomwatch_probe_up{{class="camera",probe="icmp",{S}}} == 0'], 4, y, 10, 7, instant=True, fmt="table",
    extra={"transformations": [{"id": "organize", "options": {"excludeByName": {"Time": True, "Value": True, "__name__": True, "probe": True}}}]}))
P.append(panel("卡口抓拍延迟 Checkpoint capture age", "bargauge", [f'sort_desc(roomwatch_checkpoint_capture_age_seconds{{{S}}})'], 14, y, 10, 7, unit="s", legend="{{device}}", instant=True, thresholds=[(None, "green"), (600, "orange"), (3600, "red")]))
y += 7
# reused: "up per site, 24h graph (5m step)"
P.append(panel("在线设备数（按站点） Devices up by site", "timeseries", [f'sum by (site) (roomwatch_probe_up{{probe="icmp",{S}}})'], 0, y, 24, 7, legend="{{site}}"))
wall = dash("roomwatch-wall", "指挥中心大屏 Machine room overview", ["roomwatch", "wall"], P,
            [var_ds(), var_q("site", "站点 Site", "label_values(roomwatch_device_info, site)")])
json.dump(wall, open("wall.json", "w"), ensure_ascii=False, indent=2); open("wall.json", "a").write("\n")

# ---------------- host dashboard ----------------
pid[0] = 0
# Hosts are picked by device, the name every monitored thing carries (the
# collector's scrape target or, for a pushing agent, its hostname). The
# agent's own device label of interfaces is stored as exported_device.
H = 'device=~"$host"'
P = []; y = 0
P.append(panel("CPU 使用率 CPU usage", "timeseries", [f'1 - avg by (device) (rate(node_cpu_seconds_total{{mode="idle",{H}}}[$__rate_interval]))'], 0, y, 12, 8, unit="percentunit", legend="{{device}}"))
P.append(panel("负载 Load (1m)", "timeseries", [f'node_load1{{{H}}}'], 12, y, 12, 8, legend="{{device}}"))
y += 8
P.append(panel("内存使用率 Memory usage", "timeseries", [f'1 - node_memory_MemAvailable_bytes{{{H}}} / node_memory_MemTotal_bytes{{{H}}}'], 0, y, 12, 8, unit="percentunit", legend="{{device}}"))
P.append(panel("交换分区 Swap used", "timeseries", [f'node_memory_SwapTotal_bytes{{{H}}} - node_memory_SwapFree_bytes{{{H}}}'], 12, y, 12, 8, unit="bytes", legend="{{device}}"))
y += 8
P.append(panel("文件系统使用率 Filesystem usage", "bargauge", [f'1 - node_filesystem_avail_bytes{{fstype!~"tmpfs|squashfs|overlay|iso9660",{H}}} / node_filesystem_size_bytes{{fstype!~"tmpfs|squashfs|overlay|iso9660",{H}}}'], 0, y, 12, 8, unit="percentunit", legend="{{device}} {{mountpoint}}", instant=True, thresholds=[(None, "green"), (0.8, "orange"), (0.9, "red")]))
P.append(panel("只读文件系统 Read-only filesystems", "table", [f'node_filesystem_readonly{{{H}}} == 1'], 12, y, 12, 8, instant=True, fmt="table"))
y += 8
P.append(panel("网络接收 Network receive", "timeseries", [f'rate(node_network_receive_bytes_total{{exported_device!="lo",{H}}}[$__rate_interval])'], 0, y, 12, 8, unit="Bps", legend="{{device}} {{exported_device}}"))
P.append(panel("网络发送 Network transmit", "timeseries", [f'rate(node_network_transmit_bytes_total{{exported_device!="lo",{H}}}[$__rate_interval])'], 12, y, 12, 8, unit="Bps", legend="{{device}} {{exported_device}}"))
y += 8
P.append(panel("磁盘读写 Disk I/O time", "timeseries", [f'rate(node_disk_io_time_seconds_total{{{H}}}[$__rate_interval])'], 0, y, 12, 8, unit="percentunit", legend="{{device}}"))
P.append(panel("关键进程 Watched processes", "table", [f'roomwatch_process_up{{{H}}}'], 12, y, 12, 8, instant=True, fmt="table",
    mappings=[{"type": "value", "options": {"0": {"text": "停止 DOWN", "color": "red"}, "1": {"text": "运行 UP", "color": "green"}}}]))
y += 8
P.append(panel("主机信息 Host info", "table", [f'roomwatch_host_info{{{H}}}'], 0, y, 16, 6, instant=True, fmt="table"))
P.append(panel("最近上报 Last seen (push)", "stat", [f'time() - roomwatch_agent_last_seen_timestamp_seconds{{agent=~"$host"}}'], 16, y, 8, 6, unit="s", legend="{{agent}}", instant=True, thresholds=[(None, "green"), (300, "red")]))
host = dash("roomwatch-host", "主机 Host (roomwatch-agent)", ["roomwatch", "host"], P,
            [var_ds(), var_q("host", "主机 Host", 'label_values(roomwatch_host_info, device)')])
json.dump(host, open("host.json", "w"), ensure_ascii=False, indent=2); open("host.json", "a").write("\n")
