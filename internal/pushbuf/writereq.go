package pushbuf

import (
	"math"
	"slices"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/roomwatch/roomwatch/internal/labelset"
)

// Remote-write 1.0 messages, the subset the pusher sends, encoded with
// protowire on the wire format of prometheus/prompb. The agent links this
// instead of prompb, which would pull the Prometheus storage packages (and
// megabytes of resident memory) into a binary that must stay under 12 MB RSS.
// TestWriteRequestMatchesPrompb decodes the output with prompb.

// Label is one label pair (labelset's, so target labels are set by the one
// rule the collector uses too).
type Label = labelset.Label

// Sample is one value at a Unix-millisecond timestamp.
type Sample struct {
	Value     float64
	Timestamp int64
}

// TimeSeries is one series with its samples.
type TimeSeries struct {
	Labels  []Label
	Samples []Sample
}

// WriteRequest is prompb.WriteRequest without metadata.
type WriteRequest struct {
	Timeseries []TimeSeries
}

// Field numbers from prometheus/prompb/remote.proto and types.proto.
const (
	fieldWriteRequestTimeseries = 1
	fieldSeriesLabels           = 1
	fieldSeriesSamples          = 2
	fieldLabelName              = 1
	fieldLabelValue             = 2
	fieldSampleValue            = 1
	fieldSampleTimestamp        = 2
)

// Marshal encodes r as protobuf. Messages concatenate: the encodings of two
// WriteRequests joined decode as one holding both lists of series.
func (r *WriteRequest) Marshal() ([]byte, error) {
	var out, ts, lb, sm []byte
	for i := range r.Timeseries {
		s := &r.Timeseries[i]
		ts = ts[:0]
		for _, l := range s.Labels {
			lb = lb[:0]
			lb = protowire.AppendTag(lb, fieldLabelName, protowire.BytesType)
			lb = protowire.AppendString(lb, l.Name)
			lb = protowire.AppendTag(lb, fieldLabelValue, protowire.BytesType)
			lb = protowire.AppendString(lb, l.Value)
			ts = protowire.AppendTag(ts, fieldSeriesLabels, protowire.BytesType)
			ts = protowire.AppendBytes(ts, lb)
		}
		for _, x := range s.Samples {
			sm = sm[:0]
			sm = protowire.AppendTag(sm, fieldSampleValue, protowire.Fixed64Type)
			sm = protowire.AppendFixed64(sm, math.Float64bits(x.Value))
			sm = protowire.AppendTag(sm, fieldSampleTimestamp, protowire.VarintType)
			sm = protowire.AppendVarint(sm, uint64(x.Timestamp))
			ts = protowire.AppendTag(ts, fieldSeriesSamples, protowire.BytesType)
			ts = protowire.AppendBytes(ts, sm)
		}
		out = protowire.AppendTag(out, fieldWriteRequestTimeseries, protowire.BytesType)
		out = protowire.AppendBytes(out, ts)
	}
	return out, nil
}

// ToWriteRequest converts gathered metric families into remote-write series
// stamped at ts (Unix ms) unless a metric carries its own timestamp. Summaries
// and classic histograms expand as in the text exposition (_sum, _count,
// quantile, _bucket with le). Labels in extra are added where absent. Labels
// in target are set over the exposed ones, as a Prometheus scrape sets its
// target labels with honor_labels: false: an exposed label of the same name is
// kept as exported_<name> (node_network_up{device="eth0"} pushed with target
// device="srv-01" becomes {device="srv-01", exported_device="eth0"}), so the
// pushed series are the series a collector or Prometheus scraping the agent
// with the same target labels would store.
func ToWriteRequest(mfs []*dto.MetricFamily, ts int64, extra, target []Label) *WriteRequest {
	req := &WriteRequest{}
	add := func(name string, m *dto.Metric, v float64, lname, lvalue string) {
		lbls := make([]Label, 0, len(m.GetLabel())+len(extra)+2)
		lbls = append(lbls, Label{Name: "__name__", Value: name})
		for _, lp := range m.GetLabel() {
			lbls = append(lbls, Label{Name: lp.GetName(), Value: lp.GetValue()})
		}
		if lname != "" {
			lbls = append(lbls, Label{Name: lname, Value: lvalue})
		}
		lbls = labelset.SetTarget(lbls, target)
		for _, e := range extra {
			if !slices.ContainsFunc(lbls, func(l Label) bool { return l.Name == e.Name }) {
				lbls = append(lbls, e)
			}
		}
		slices.SortFunc(lbls, func(a, b Label) int { return strings.Compare(a.Name, b.Name) })
		t := ts
		if m.TimestampMs != nil {
			t = m.GetTimestampMs()
		}
		req.Timeseries = append(req.Timeseries, TimeSeries{Labels: lbls, Samples: []Sample{{Value: v, Timestamp: t}}})
	}
	for _, mf := range mfs {
		name := mf.GetName()
		for _, m := range mf.GetMetric() {
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				add(name, m, m.GetCounter().GetValue(), "", "")
			case dto.MetricType_GAUGE:
				add(name, m, m.GetGauge().GetValue(), "", "")
			case dto.MetricType_UNTYPED:
				add(name, m, m.GetUntyped().GetValue(), "", "")
			case dto.MetricType_SUMMARY:
				s := m.GetSummary()
				for _, q := range s.GetQuantile() {
					add(name, m, q.GetValue(), "quantile", strconv.FormatFloat(q.GetQuantile(), 'g', -1, 64))
				}
				add(name+"_sum", m, s.GetSampleSum(), "", "")
				add(name+"_count", m, float64(s.GetSampleCount()), "", "")
			case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
				h := m.GetHistogram()
				inf := false
				for _, b := range h.GetBucket() {
					if math.IsInf(b.GetUpperBound(), 1) {
						inf = true
					}
					add(name+"_bucket", m, float64(b.GetCumulativeCount()), "le", strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64))
				}
				if !inf {
					add(name+"_bucket", m, float64(h.GetSampleCount()), "le", "+Inf")
				}
				add(name+"_sum", m, h.GetSampleSum(), "", "")
				add(name+"_count", m, float64(h.GetSampleCount()), "", "")
			}
		}
	}
	return req
}
