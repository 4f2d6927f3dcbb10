// Package probe defines what every device probe (SNMP, ICMP, TCP, HTTP, RTSP,
// camera and NVR APIs) produces, and how probes are run against the inventory.
//
// A probe fills a Result with Samples. ResultSeries turns a Result into the
// series both the TSDB and /metrics hold: it adds the device's identity labels
// (device, class, site, vendor, model), roomwatch_device_info and the per-check
// up, duration, last-run, failures and error series, so individual probes only
// report what they measured.
package probe

import (
	"context"
	"time"

	"github.com/roomwatch/roomwatch/internal/inventory"
)

// Type is a sample's Prometheus metric type.
type Type string

// Metric types.
const (
	Gauge   Type = "gauge"
	Counter Type = "counter"
	Info    Type = "info" // value 1, identity in labels, exposed as a gauge named *_info
)

// Sample is one measured value. Labels hold only what distinguishes the series
// within one device (ifName, supply, disk…); ResultSeries adds device labels.
type Sample struct {
	Name   string
	Help   string
	Type   Type
	Labels map[string]string
	Value  float64
	// Detail marks a sample that adds detail to another (the spread of the
	// RTTs beside their mean): left out of a brief result's series.
	Detail bool
}

// Result is what one probe of one target measured.
type Result struct {
	Target   inventory.Target
	Probe    string // "snmp", "icmp", "tcp", "http", "rtsp", "isapi", "dahua", "checkpoint"
	Start    time.Time
	Duration time.Duration
	Samples  []Sample
	// Vendor and Model, when the probe identified the device (sysObjectID, ISAPI…).
	Vendor, Model string
	Err           error // nil when the device answered
	// Brief asks for the brief series of this result (the scheduler sets it
	// from `probes.series` for the device's class): whether the device
	// answered and what the probe measured, without the per-check duration,
	// last-run and failures series or the samples marked Detail.
	Brief bool
}

// Add appends a sample to the result.
func (r *Result) Add(name string, typ Type, value float64, help string, labels map[string]string) {
	r.Samples = append(r.Samples, Sample{Name: name, Help: help, Type: typ, Labels: labels, Value: value})
}

// Prober probes one target. It must return by ctx's deadline and must not panic
// on any device answer: garbage is an error in the Result.
type Prober interface {
	Probe(ctx context.Context, target inventory.Target) Result
}
