package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// File is one dashboard and the name of its JSON file under dashboards/.
type File struct {
	Name      string
	Dashboard Dashboard
}

// All returns every dashboard, in file name order.
func All() []File {
	return []File{
		{Name: "host.json", Dashboard: Host()},
		{Name: "wall.json", Dashboard: Wall()},
	}
}

// Encode writes d as Grafana JSON: two-space indent, non-ASCII and HTML
// characters unescaped, and a trailing newline.
func Encode(w io.Writer, d Dashboard) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("dashboards: encode %s: %w", d.UID, err)
	}
	return nil
}

// Bytes returns the encoded JSON of d (see Encode).
func Bytes(d Dashboard) ([]byte, error) {
	var b bytes.Buffer
	if err := Encode(&b, d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Datasource names the data source of a panel, target or variable.
type Datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// prometheus is the data source every panel uses: the ${DS_PROMETHEUS}
// dashboard variable, whose default is the provisioned "roomwatch" source.
func prometheus() Datasource {
	return Datasource{Type: "prometheus", UID: "${DS_PROMETHEUS}"}
}

// Dashboard is a Grafana dashboard (schemaVersion 39).
type Dashboard struct {
	UID                  string     `json:"uid"`
	Title                string     `json:"title"`
	Tags                 []string   `json:"tags"`
	Timezone             string     `json:"timezone"`
	SchemaVersion        int        `json:"schemaVersion"`
	Version              int        `json:"version"`
	Editable             bool       `json:"editable"`
	Style                string     `json:"style"`
	GraphTooltip         int        `json:"graphTooltip"`
	Refresh              string     `json:"refresh"`
	Time                 TimeRange  `json:"time"`
	Timepicker           Timepicker `json:"timepicker"`
	Panels               []any      `json:"panels"`
	Templating           Templating `json:"templating"`
	Annotations          Annotation `json:"annotations"`
	Links                []any      `json:"links"`
	FiscalYearStartMonth int        `json:"fiscalYearStartMonth"`
	LiveNow              bool       `json:"liveNow"`
	WeekStart            string     `json:"weekStart"`
}

// TimeRange is the dashboard's default time range.
type TimeRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Timepicker lists the auto-refresh intervals offered.
type Timepicker struct {
	RefreshIntervals []string `json:"refresh_intervals"`
}

// Templating holds the dashboard variables (*DatasourceVar, *QueryVar).
type Templating struct {
	List []any `json:"list"`
}

// Annotation holds the annotation queries (none).
type Annotation struct {
	List []any `json:"list"`
}

// GridPos places a panel on Grafana's 24-column grid.
type GridPos struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

// gridWidth is the width of Grafana's grid.
const gridWidth = 24

// Row is a (never collapsed) row header across the full width.
type Row struct {
	ID        int     `json:"id"`
	Type      string  `json:"type"`
	Title     string  `json:"title"`
	Collapsed bool    `json:"collapsed"`
	GridPos   GridPos `json:"gridPos"`
	Panels    []any   `json:"panels"`
}

// Panel is a visualisation panel.
type Panel struct {
	ID              int              `json:"id"`
	Type            string           `json:"type"`
	Title           string           `json:"title"`
	Datasource      Datasource       `json:"datasource"`
	GridPos         GridPos          `json:"gridPos"`
	Targets         []Target         `json:"targets"`
	FieldConfig     FieldConfig      `json:"fieldConfig"`
	Options         any              `json:"options"`
	Transformations []Transformation `json:"transformations,omitempty"`
}

// Target is one PromQL query of a panel.
type Target struct {
	RefID        string     `json:"refId"`
	Datasource   Datasource `json:"datasource"`
	Expr         string     `json:"expr"`
	LegendFormat string     `json:"legendFormat,omitempty"`
	// Instant and Range are both set, or both omitted (a range query).
	Instant *bool  `json:"instant,omitempty"`
	Range   *bool  `json:"range,omitempty"`
	Format  string `json:"format,omitempty"`
}

// FieldConfig is the panel's field configuration (no overrides are used).
type FieldConfig struct {
	Defaults  FieldDefaults `json:"defaults"`
	Overrides []any         `json:"overrides"`
}

// FieldDefaults are the field defaults: unit, thresholds and value mappings.
type FieldDefaults struct {
	Unit       string         `json:"unit,omitempty"`
	Thresholds *Thresholds    `json:"thresholds,omitempty"`
	Mappings   []ValueMapping `json:"mappings,omitempty"`
}

// Thresholds colour a value by absolute steps.
type Thresholds struct {
	Mode  string `json:"mode"`
	Steps []Step `json:"steps"`
}

// Step is one threshold: Color from Value up; the base step has no value.
type Step struct {
	Color string   `json:"color"`
	Value *float64 `json:"value"`
}

// ValueMapping maps exact values to display text (type "value").
type ValueMapping struct {
	Type    string                      `json:"type"`
	Options ordered[ValueMappingResult] `json:"options"`
}

// ValueMappingResult is what a mapped value is shown as.
type ValueMappingResult struct {
	Text  string `json:"text"`
	Color string `json:"color,omitempty"`
}

// Transformation is a panel data transformation.
type Transformation struct {
	ID      string          `json:"id"`
	Options OrganizeOptions `json:"options"`
}

// OrganizeOptions are the options of the "organize" transformation: columns
// to hide and columns to rename.
type OrganizeOptions struct {
	ExcludeByName ordered[bool]   `json:"excludeByName"`
	RenameByName  ordered[string] `json:"renameByName,omitempty"`
}

// StatOptions are the options of a stat panel.
type StatOptions struct {
	ColorMode     string        `json:"colorMode"`
	GraphMode     string        `json:"graphMode"`
	TextMode      string        `json:"textMode"`
	ReduceOptions ReduceOptions `json:"reduceOptions"`
}

// ReduceOptions reduce a series to the value a stat panel shows.
type ReduceOptions struct {
	Calcs  []string `json:"calcs"`
	Fields string   `json:"fields"`
	Values bool     `json:"values"`
}

// TableOptions are the options of a table panel.
type TableOptions struct {
	ShowHeader bool `json:"showHeader"`
}

// DatasourceVar is the data source variable (DS_PROMETHEUS).
type DatasourceVar struct {
	Name    string  `json:"name"`
	Label   string  `json:"label"`
	Type    string  `json:"type"`
	Query   string  `json:"query"`
	Current Current `json:"current"`
	Hide    int     `json:"hide"`
}

// QueryVar is a variable whose values come from a label_values query.
type QueryVar struct {
	Name       string     `json:"name"`
	Label      string     `json:"label"`
	Type       string     `json:"type"`
	Datasource Datasource `json:"datasource"`
	Query      VarQuery   `json:"query"`
	Definition string     `json:"definition"`
	Refresh    int        `json:"refresh"`
	IncludeAll bool       `json:"includeAll"`
	Multi      bool       `json:"multi"`
	AllValue   string     `json:"allValue"`
	Current    Current    `json:"current"`
	Sort       int        `json:"sort"`
	Hide       int        `json:"hide"`
}

// VarQuery is a query variable's query.
type VarQuery struct {
	Query string `json:"query"`
	RefID string `json:"refId"`
}

// Current is a variable's current (default) value.
type Current struct {
	Text  string `json:"text"`
	Value string `json:"value"`
}

// kv is one entry of an ordered JSON object.
type kv[V any] struct {
	Key   string
	Value V
}

// ordered is a JSON object that keeps its keys in the order given (a Go map
// would sort them).
type ordered[V any] []kv[V]

// MarshalJSON encodes o as an object with its keys in order.
func (o ordered[V]) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := enc.Encode(e.Key); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1) // Encode's newline
		b.WriteByte(':')
		if err := enc.Encode(e.Value); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
