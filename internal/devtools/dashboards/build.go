package dashboards

import "strconv"

// board lays out the panels of one dashboard from top to bottom, numbering
// rows and panels in order.
type board struct {
	id     int
	y      int
	panels []any
}

// row adds a row header across the full width.
func (b *board) row(title string) {
	b.id++
	b.panels = append(b.panels, &Row{
		ID:      b.id,
		Type:    "row",
		Title:   title,
		GridPos: GridPos{X: 0, Y: b.y, W: gridWidth, H: 1},
		Panels:  []any{},
	})
	b.y++
}

// line places panels left to right on one line of height h; each panel's
// width is set by its constructor.
func (b *board) line(h int, ps ...*Panel) {
	x := 0
	for _, p := range ps {
		b.id++
		p.ID = b.id
		p.GridPos = GridPos{X: x, Y: b.y, W: p.GridPos.W, H: h}
		x += p.GridPos.W
		b.panels = append(b.panels, p)
	}
	b.y += h
}

// dashboard wraps the laid-out panels and the variables into a dashboard with
// roomwatch's common settings (dark, refresh 30s, last 6 hours, shared
// crosshair).
func dashboard(uid, title string, tags []string, b *board, vars ...any) Dashboard {
	return Dashboard{
		UID:           uid,
		Title:         title,
		Tags:          tags,
		Timezone:      "browser",
		SchemaVersion: 39,
		Version:       1,
		Editable:      true,
		Style:         "dark",
		GraphTooltip:  1,
		Refresh:       "30s",
		Time:          TimeRange{From: "now-6h", To: "now"},
		Timepicker:    Timepicker{RefreshIntervals: []string{"30s", "1m", "5m"}},
		Panels:        b.panels,
		Templating:    Templating{List: vars},
		Annotations:   Annotation{List: []any{}},
		Links:         []any{},
	}
}

// datasourceVar is the DS_PROMETHEUS variable, defaulting to the provisioned
// "roomwatch" data source.
func datasourceVar() *DatasourceVar {
	return &DatasourceVar{
		Name:    "DS_PROMETHEUS",
		Label:   "数据源 Data source",
		Type:    "datasource",
		Query:   "prometheus",
		Current: Current{Text: "roomwatch", Value: "roomwatch"},
	}
}

// queryVar is a multi-value variable with "All" (.*) from a label_values
// query, refreshed on time range change and sorted alphabetically.
func queryVar(name, label, query string) *QueryVar {
	return &QueryVar{
		Name:       name,
		Label:      label,
		Type:       "query",
		Datasource: prometheus(),
		Query:      VarQuery{Query: query, RefID: "V"},
		Definition: query,
		Refresh:    2,
		IncludeAll: true,
		Multi:      true,
		AllValue:   ".*",
		Current:    Current{Text: "All", Value: "$__all"},
		Sort:       1,
	}
}

// newPanel returns a panel of type typ, w columns wide, with one target per
// expression (refId A, B, ...). Instant panels query the current value only.
func newPanel(typ string, w int, title string, instant bool, exprs []string) *Panel {
	p := &Panel{
		Type:        typ,
		Title:       title,
		Datasource:  prometheus(),
		GridPos:     GridPos{W: w},
		FieldConfig: FieldConfig{Overrides: []any{}},
		Options:     struct{}{},
	}
	for i, e := range exprs {
		t := Target{RefID: string(rune('A' + i)), Datasource: prometheus(), Expr: e}
		if instant {
			t.Instant, t.Range = ptr(true), ptr(false)
		}
		p.Targets = append(p.Targets, t)
	}
	return p
}

// timeseries is a graph over the dashboard's time range.
func timeseries(w int, title string, exprs ...string) *Panel {
	return newPanel("timeseries", w, title, false, exprs)
}

// stat shows the current value of each series as a coloured tile.
func stat(w int, title string, exprs ...string) *Panel {
	p := newPanel("stat", w, title, true, exprs)
	p.Options = StatOptions{
		ColorMode:     "background",
		GraphMode:     "none",
		TextMode:      "value_and_name",
		ReduceOptions: ReduceOptions{Calcs: []string{"lastNotNull"}, Fields: "", Values: false},
	}
	return p
}

// bargauge shows the current value of each series as a bar.
func bargauge(w int, title string, exprs ...string) *Panel {
	return newPanel("bargauge", w, title, true, exprs)
}

// table lists the current series, one row each, labels as columns.
func table(w int, title string, exprs ...string) *Panel {
	p := newPanel("table", w, title, true, exprs)
	for i := range p.Targets {
		p.Targets[i].Format = "table"
	}
	p.Options = TableOptions{ShowHeader: true}
	return p
}

// unit sets the display unit (Grafana unit id: percentunit, s, celsius, ...).
func (p *Panel) unit(u string) *Panel {
	p.FieldConfig.Defaults.Unit = u
	return p
}

// legend sets the legend format: one for all targets, or one per target in
// order (targets beyond the formats given keep Grafana's default).
func (p *Panel) legend(formats ...string) *Panel {
	for i := range p.Targets {
		switch {
		case len(formats) == 1:
			p.Targets[i].LegendFormat = formats[0]
		case i < len(formats):
			p.Targets[i].LegendFormat = formats[i]
		}
	}
	return p
}

// thresholds colours values: base below the first step, then each step's
// colour from its value up.
func (p *Panel) thresholds(base string, steps ...Step) *Panel {
	p.FieldConfig.Defaults.Thresholds = &Thresholds{
		Mode:  "absolute",
		Steps: append([]Step{{Color: base}}, steps...),
	}
	return p
}

// goodBad is green for 0 and red from 1: counts of things that should be none.
func (p *Panel) goodBad() *Panel {
	return p.thresholds("green", step(1, "red"))
}

// step is a threshold step: color from v up.
func step(v float64, color string) Step {
	return Step{Color: color, Value: &v}
}

// valueText maps the values 0, 1, ... to the given texts.
func (p *Panel) valueText(texts ...ValueMappingResult) *Panel {
	m := ValueMapping{Type: "value"}
	for i, t := range texts {
		m.Options = append(m.Options, kv[ValueMappingResult]{Key: strconv.Itoa(i), Value: t})
	}
	p.FieldConfig.Defaults.Mappings = append(p.FieldConfig.Defaults.Mappings, m)
	return p
}

// organize hides the named columns of a table and renames others (label,
// header pairs).
func (p *Panel) organize(hide []string, rename ...kv[string]) *Panel {
	o := OrganizeOptions{RenameByName: rename}
	for _, h := range hide {
		o.ExcludeByName = append(o.ExcludeByName, kv[bool]{Key: h, Value: true})
	}
	p.Transformations = append(p.Transformations, Transformation{ID: "organize", Options: o})
	return p
}

// col is one column rename of organize.
func col(label, header string) kv[string] {
	return kv[string]{Key: label, Value: header}
}

func ptr[T any](v T) *T { return &v }
