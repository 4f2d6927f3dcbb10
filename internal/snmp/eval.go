package snmp

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gosnmp/gosnmp"

	"github.com/roomwatch/roomwatch/internal/probe"
)

// Data is what a device answered: scalar values by OID and column values by
// column OID and row index (the OID suffix after the column).
type Data struct {
	Scalars map[string]gosnmp.SnmpPDU
	Columns map[string]map[string]gosnmp.SnmpPDU
}

// NewData returns empty Data.
func NewData() *Data {
	return &Data{Scalars: map[string]gosnmp.SnmpPDU{}, Columns: map[string]map[string]gosnmp.SnmpPDU{}}
}

// Add files a varbind under the column it belongs to, or as a scalar.
func (d *Data) addColumn(col, index string, pdu gosnmp.SnmpPDU) {
	m := d.Columns[col]
	if m == nil {
		m = map[string]gosnmp.SnmpPDU{}
		d.Columns[col] = m
	}
	m[index] = pdu
}

// ValueError is a value a device sent that its profile cannot use (text where
// a number belongs, an unexpected type). The poll still reports the rest.
type ValueError struct {
	Profile, Metric, OID string
	Err                  error
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("profile %s, metric %s, oid %s: %v", e.Profile, e.Metric, e.OID, e.Err)
}

func (e *ValueError) Unwrap() error { return e.Err }

// Evaluate turns a device's answers into samples for one profile. Values that
// cannot be used are returned as ValueErrors and skipped; nothing panics.
func Evaluate(p *Profile, d *Data) ([]probe.Sample, []error) {
	var out []probe.Sample
	var errs []error
	scalar := func(oid string) (gosnmp.SnmpPDU, bool) {
		pdu, ok := d.Scalars[oid]
		return pdu, ok && !absent(pdu)
	}
	for i := range p.Scalars {
		m := &p.Scalars[i]
		v, ok, err := m.compute(scalar)
		if err != nil {
			errs = append(errs, &ValueError{Profile: p.Name, Metric: m.Name, OID: m.OID, Err: err})
			continue
		}
		if ok {
			out = append(out, probe.Sample{Name: m.Name, Help: m.Help, Type: probe.Type(m.Type), Labels: copyLabels(m.Labels, 0), Value: v})
		}
	}
	for ti := range p.Tables {
		s, e := evalTable(p, &p.Tables[ti], d)
		out = append(out, s...)
		errs = append(errs, e...)
	}
	for _, in := range p.Info {
		labels := map[string]string{}
		any := false
		for _, l := range in.Labels {
			pdu, ok := scalar(l.OID)
			v := ""
			if ok {
				v = pduText(pdu)
				if mv, ok := l.Map[v]; ok {
					v = mv
				}
			}
			if v != "" {
				any = true
			}
			labels[l.Name] = v
		}
		if any {
			out = append(out, probe.Sample{Name: in.Name, Help: in.Help, Type: probe.Info, Labels: labels, Value: 1})
		}
	}
	return out, errs
}

func evalTable(p *Profile, t *Table, d *Data) ([]probe.Sample, []error) {
	// Rows are the indexes any metric column (or its fallback) holds.
	rowSet := map[string]bool{}
	for _, m := range t.Metrics {
		for _, c := range []string{m.OID, m.Fallback} {
			for idx := range d.Columns[c] {
				rowSet[idx] = true
			}
		}
	}
	rows := make([]string, 0, len(rowSet))
	for r := range rowSet {
		rows = append(rows, r)
	}
	slices.SortFunc(rows, compareOID)
	var out []probe.Sample
	var errs []error
	for _, idx := range rows {
		cell := func(col string) (gosnmp.SnmpPDU, bool) {
			pdu, ok := d.Columns[col][idx]
			return pdu, ok && !absent(pdu)
		}
		if !keepRow(t.Filter, cell) {
			continue
		}
		labels := make(map[string]string, len(t.Labels)+1)
		if t.IndexLabel != "" {
			labels[t.IndexLabel] = idx
		}
		for _, l := range t.Labels {
			v := ""
			if pdu, ok := cell(l.OID); ok {
				v = pduText(pdu)
			}
			if mv, ok := l.Map[v]; ok {
				v = mv
			}
			labels[l.Name] = v
		}
		for mi := range t.Metrics {
			m := &t.Metrics[mi]
			v, ok, err := m.compute(cell)
			if err != nil {
				errs = append(errs, &ValueError{Profile: p.Name, Metric: m.Name, OID: m.OID + "." + idx, Err: err})
				continue
			}
			if !ok {
				continue
			}
			ls := copyLabels(labels, len(m.Labels))
			for k, v := range m.Labels {
				ls[k] = v
			}
			out = append(out, probe.Sample{Name: m.Name, Help: m.Help, Type: probe.Type(m.Type), Labels: ls, Value: v})
		}
	}
	return out, errs
}

func keepRow(filters []Filter, cell func(string) (gosnmp.SnmpPDU, bool)) bool {
	for _, f := range filters {
		v := ""
		if pdu, ok := cell(f.OID); ok {
			v = pduText(pdu)
		}
		if len(f.Equals) > 0 && !slices.Contains(f.Equals, v) {
			return false
		}
		if slices.Contains(f.NotEquals, v) {
			return false
		}
	}
	return true
}

func copyLabels(m map[string]string, extra int) map[string]string {
	out := make(map[string]string, len(m)+extra)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// compute reads the metric's value through get (a scalar or a table cell):
// raw value → map or placeholder checks → ratio → complement → scale.
// ok is false when there is nothing to report (absent, placeholder, unmapped).
func (m *Metric) compute(get func(oid string) (gosnmp.SnmpPDU, bool)) (float64, bool, error) {
	scale := m.Scale
	pdu, ok := get(m.OID)
	if !ok && m.Fallback != "" {
		pdu, ok = get(m.Fallback)
		if m.FallbackScale != 0 {
			scale = m.FallbackScale
		}
	}
	if !ok {
		return 0, false, nil
	}
	r, err := rawValue(pdu, m.Parse == "number")
	if err != nil {
		return 0, false, err
	}
	var v float64
	if m.Map != nil {
		mv, ok := m.Map[r.key]
		switch {
		case ok:
			v = mv
		case m.Default != nil:
			v = *m.Default
		default:
			return 0, false, nil
		}
	} else {
		if !r.hasNum {
			if r.key == "" {
				return 0, false, nil // empty text: nothing reported
			}
			return 0, false, fmt.Errorf("%s value %q is not a number", pdu.Type, truncate(r.key, 40))
		}
		v = r.num
		if slices.Contains(m.Ignore, v) || (m.Min != nil && v < *m.Min) || (m.Max != nil && v > *m.Max) {
			return 0, false, nil
		}
	}
	if other := m.DivideBy + m.TotalWith; other != "" {
		opdu, ok := get(other)
		if !ok {
			return 0, false, nil
		}
		or, err := rawValue(opdu, m.Parse == "number")
		if err != nil {
			return 0, false, err
		}
		if !or.hasNum {
			return 0, false, fmt.Errorf("%s value %q of %s is not a number", opdu.Type, truncate(or.key, 40), other)
		}
		den := or.num
		if m.TotalWith != "" {
			den += v
		}
		if den <= 0 || or.num < 0 {
			return 0, false, nil
		}
		v /= den
	}
	if m.Complement {
		v = 1 - v
	}
	return v * scale, true, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// compareOID orders dotted OIDs (or OID suffixes) numerically.
func compareOID(a, b string) int {
	for a != "" && b != "" {
		var x, y string
		x, a, _ = strings.Cut(a, ".")
		y, b, _ = strings.Cut(b, ".")
		if c := compareNum(x, y); c != 0 {
			return c
		}
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	}
	return 1
}

// compareNum compares two decimal strings without overflowing.
func compareNum(x, y string) int {
	x = strings.TrimLeft(x, "0")
	y = strings.TrimLeft(y, "0")
	if len(x) != len(y) {
		if len(x) < len(y) {
			return -1
		}
		return 1
	}
	return strings.Compare(x, y)
}
