//go:build tools

// Package deps pins dependencies that packages still being written will import,
// so that go.sum is complete while several people work in parallel. Removed once
// every dependency below is imported by real code.
package deps

import (
	_ "github.com/gosnmp/gosnmp"
	_ "github.com/influxdata/influxdb-client-go/v2"
	_ "github.com/jonboulle/clockwork"
	_ "github.com/prometheus-community/pro-bing"
	_ "github.com/prometheus/alertmanager/notify/webhook"
	_ "github.com/prometheus/alertmanager/template"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/prometheus/common/expfmt"
	_ "github.com/prometheus/prometheus/model/labels"
	_ "github.com/prometheus/prometheus/model/rulefmt"
	_ "github.com/prometheus/prometheus/notifier"
	_ "github.com/prometheus/prometheus/prompb"
	_ "github.com/prometheus/prometheus/promql"
	_ "github.com/prometheus/prometheus/promql/parser"
	_ "github.com/prometheus/prometheus/rules"
	_ "github.com/prometheus/prometheus/storage"
	_ "github.com/prometheus/prometheus/storage/remote"
	_ "github.com/prometheus/prometheus/tsdb"
	_ "github.com/prometheus/prometheus/tsdb/wlog"
	_ "github.com/prometheus/prometheus/web/api/v1"
	_ "github.com/shirou/gopsutil/v4/cpu"
	_ "github.com/shirou/gopsutil/v4/disk"
	_ "github.com/shirou/gopsutil/v4/host"
	_ "github.com/shirou/gopsutil/v4/load"
	_ "github.com/shirou/gopsutil/v4/mem"
	_ "github.com/shirou/gopsutil/v4/net"
	_ "github.com/shirou/gopsutil/v4/process"
	_ "github.com/xuri/excelize/v2"
	_ "golang.org/x/net/icmp"
	_ "golang.org/x/sys/windows/svc"
	_ "gopkg.in/yaml.v3"
	_ "modernc.org/sqlite"
)
