package report

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/roomwatch/roomwatch/internal/registry"
)

// Asset is one row of the asset inventory (信息资产统计).
type Asset struct {
	Name, Display, Class, Site string
	Vendor, Model              string
	Version                    string // firmware or OS version
	IPs                        []string
	MAC, Serial                string
	Room, Rack, Parent         string
	Sources                    []string // inventory, snmp, device-api, agent
	LastSeen                   time.Time
}

// Assets is the asset inventory export.
type Assets struct {
	Generated time.Time
	Assets    []Asset
}

// infoQuery is one info series the probes or agents write, and how its labels
// fill an asset.
type infoQuery struct {
	metric string
	source string
	fill   func(a *Asset, m model.Metric)
}

func infoQueries() []infoQuery {
	set := func(dst *string, v model.LabelValue) {
		if v != "" {
			*dst = string(v)
		}
	}
	return []infoQuery{
		// What the device says it is: the SNMP system group (with
		// sys_object_id) and the camera and NVR APIs (without).
		{`roomwatch_device_reported_info{sys_object_id!=""}`, "snmp", func(a *Asset, m model.Metric) {
			if a.Version == "" {
				set(&a.Version, firstLine(m["sys_descr"]))
			}
		}},
		{"roomwatch_ups_info", "snmp", func(a *Asset, m model.Metric) {
			set(&a.Vendor, m["manufacturer"])
			set(&a.Model, m["ups_model"])
			set(&a.Version, m["firmware"])
		}},
		{"roomwatch_camera_info", "snmp", func(a *Asset, m model.Metric) {
			set(&a.Model, m["camera_model"])
			set(&a.Version, m["firmware"])
		}},
		{`roomwatch_device_reported_info{sys_object_id=""}`, "device-api", func(a *Asset, m model.Metric) {
			set(&a.Model, m["reported_model"])
			set(&a.Serial, m["serial"])
			set(&a.Version, m["firmware"])
		}},
		{"roomwatch_host_info", "agent", func(a *Asset, m model.Metric) {
			v := strings.TrimSpace(string(m["platform"] + " " + m["platform_version"]))
			if k := m["kernel"]; k != "" {
				v += " (" + string(k) + ")"
			}
			if v != "" {
				a.Version = v
			}
			set(&a.Model, m["cpu_model"])
			set(&a.MAC, m["mac"])
			if ip := string(m["ip"]); ip != "" && !slices.Contains(a.IPs, ip) {
				a.IPs = append(a.IPs, ip)
			}
		}},
	}
}

func firstLine(v model.LabelValue) model.LabelValue {
	s, _, _ := strings.Cut(string(v), "\n")
	return model.LabelValue(strings.TrimSpace(s))
}

// Assets gathers the asset inventory: every inventory device (range members
// one by one), completed by the newest info series of the last day (SNMP,
// device APIs, agents) and the agent registry; agents not in the inventory are
// listed too.
func (r *Reporter) Assets(ctx context.Context) (*Assets, error) {
	now := r.o.Clock.Now()
	out := &Assets{Generated: now}
	byName := map[string]*Asset{}
	byIP := map[string]*Asset{}
	var order []string
	add := func(a *Asset) {
		byName[a.Name] = a
		order = append(order, a.Name)
		for _, ip := range a.IPs {
			byIP[ip] = a
		}
	}
	r.progress("台账 inventory: %d devices", len(r.inv))
	names := sortedKeys(r.inv)
	for _, n := range names {
		t := r.inv[n]
		d := t.Device
		a := &Asset{Name: n, Display: d.DisplayName, Class: string(d.Class), Site: d.Site, Vendor: d.Vendor, Model: d.Model,
			Room: d.Room, Rack: d.Rack, Parent: d.Parent, Sources: []string{"inventory"}}
		if host := hostOf(t.Address); host != "" {
			a.IPs = []string{host}
		}
		add(a)
	}
	if r.src.Metrics != nil {
		for _, q := range infoQueries() {
			r.progress("资产信息 asset facts: %s", q.metric)
			v, err := r.src.Metrics.Query(ctx, "last_over_time("+q.metric+"[1d])", now)
			if err != nil {
				return nil, fmt.Errorf("assets: %w", err)
			}
			vec, _ := v.(model.Vector)
			for _, s := range vec {
				name := string(s.Metric["device"])
				a := byName[name]
				if a == nil && q.metric == "roomwatch_host_info" {
					a = byName[string(s.Metric["hostname"])]
					if a == nil {
						a = byIP[string(s.Metric["ip"])]
					}
				}
				if a == nil {
					continue
				}
				q.fill(a, s.Metric)
				if !slices.Contains(a.Sources, q.source) {
					a.Sources = append(a.Sources, q.source)
				}
			}
		}
		r.progress("最后在线 last seen")
		v, err := r.src.Metrics.Query(ctx, `max by (device) (max_over_time(timestamp(`+r.o.UpSelector+` == 1)[1d:5m]))`, now)
		if err != nil {
			return nil, fmt.Errorf("assets: %w", err)
		}
		vec, _ := v.(model.Vector)
		for _, s := range vec {
			if a := byName[string(s.Metric["device"])]; a != nil {
				a.LastSeen = time.Unix(int64(s.Value), 0)
			}
		}
	}
	if r.src.Agents != nil {
		for _, ag := range r.src.Agents.Agents() {
			a := r.matchAgent(ag, byName, byIP)
			if a == nil {
				a = &Asset{Name: ag.Hostname, Class: "server", Site: ag.Site}
				add(a)
			}
			for _, ip := range ag.IPs {
				if !slices.Contains(a.IPs, ip) {
					a.IPs = append(a.IPs, ip)
				}
			}
			if a.Version == "" {
				a.Version = strings.TrimSpace(ag.Platform + " " + ag.Kernel)
			}
			if !slices.Contains(a.Sources, "agent") {
				a.Sources = append(a.Sources, "agent")
			}
			if ag.LastSeen.After(a.LastSeen) {
				a.LastSeen = ag.LastSeen
			}
		}
	}
	for _, n := range order {
		out.Assets = append(out.Assets, *byName[n])
	}
	sort.SliceStable(out.Assets, func(i, j int) bool {
		ci, cj := classOrder(out.Assets[i].Class), classOrder(out.Assets[j].Class)
		if ci != cj {
			return ci < cj
		}
		return out.Assets[i].Name < out.Assets[j].Name
	})
	return out, nil
}

func (r *Reporter) matchAgent(ag registry.Agent, byName, byIP map[string]*Asset) *Asset {
	if a := byName[ag.Hostname]; a != nil {
		return a
	}
	for _, ip := range ag.IPs {
		if a := byIP[ip]; a != nil {
			return a
		}
	}
	return nil
}

// hostOf returns the IP of an address (host or host:port), or "" for a name.
func hostOf(addr string) string {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return ap.Addr().String()
	}
	if a, err := netip.ParseAddr(addr); err == nil {
		return a.String()
	}
	return ""
}

// Document builds the asset inventory document.
func (as *Assets) Document(r *Reporter) *Document {
	d := &Document{Title: "信息资产统计表", TitleEN: "Asset inventory", Bureau: r.o.Bureau,
		Period: "截至 " + r.t(as.Generated), Generated: r.t(as.Generated)}
	perClass := map[string]int{}
	for _, a := range as.Assets {
		perClass[a.Class]++
	}
	d.Summary = []Figure{{"资产总数", "Assets", len(as.Assets)}}
	cls := sortedKeys(perClass)
	sort.SliceStable(cls, func(i, j int) bool { return classOrder(cls[i]) < classOrder(cls[j]) })
	for _, c := range cls {
		d.Summary = append(d.Summary, Figure{classZH(c), c, perClass[c]})
	}
	s := Section{Sheet: "资产清单", Title: "资产清单", TitleEN: "Assets",
		Columns: []Column{{Title: "序号", TitleEN: "No."}, {Title: "名称", TitleEN: "Name", Width: 22}, {Title: "设备名称", TitleEN: "Display name", Width: 18},
			{Title: "类别", TitleEN: "Class"}, {Title: "站点", TitleEN: "Site"}, {Title: "机房/机柜", TitleEN: "Room / rack", Width: 16},
			{Title: "厂商", TitleEN: "Vendor"}, {Title: "型号", TitleEN: "Model", Width: 18}, {Title: "版本", TitleEN: "Firmware / OS", Width: 28},
			{Title: "IP地址", TitleEN: "IP addresses", Width: 18}, {Title: "MAC", Width: 18}, {Title: "序列号", TitleEN: "Serial", Width: 18},
			{Title: "上联", TitleEN: "Parent", Width: 14}, {Title: "最后在线", TitleEN: "Last seen", Width: 17}, {Title: "来源", TitleEN: "Sources", Width: 22}}}
	for i, a := range as.Assets {
		place := strings.Trim(a.Room+" / "+a.Rack, " /")
		s.Rows = append(s.Rows, []any{i + 1, a.Name, a.Display, classZH(a.Class), a.Site, place, a.Vendor, a.Model, a.Version,
			strings.Join(a.IPs, ", "), a.MAC, a.Serial, a.Parent, r.t(a.LastSeen), strings.Join(a.Sources, ", ")})
	}
	d.Sections = []Section{s}
	return d
}
