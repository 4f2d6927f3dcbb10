// Package alert is the one alert shape inside roomwatch. Every source (the
// collector's rule engine, Alertmanager webhooks and API v2 posts, failed
// inspection items, manual registration) is normalised to an Alert before the
// ticket pipeline sees it. It follows Alertmanager's model so that nothing is
// lost on the way in or out.
package alert

import (
	"time"

	"github.com/prometheus/common/model"
)

// Status is firing or resolved.
type Status string

// Alert statuses.
const (
	StatusFiring   Status = "firing"
	StatusResolved Status = "resolved"
)

// Source says where an alert came from.
type Source string

// Alert sources.
const (
	SourceRules      Source = "rules"      // the collector's embedded rule engine
	SourceWebhook    Source = "webhook"    // an Alertmanager webhook
	SourceAPIv2      Source = "api-v2"     // POST /api/v2/alerts (Prometheus, amtool)
	SourceInspection Source = "inspection" // a failed inspection item
	SourceManual     Source = "manual"     // phone, e-mail, walk-in
	SourceTrap       Source = "snmp-trap"  // an SNMP trap
)

// Alert is one alert instance, identified by its label set.
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
	Source       Source            `json:"source,omitempty"`
}

// Fingerprint is the alert's identity: Alertmanager's fingerprint of its labels.
func (a Alert) Fingerprint() string {
	ls := make(model.LabelSet, len(a.Labels))
	for k, v := range a.Labels {
		ls[model.LabelName(k)] = model.LabelValue(v)
	}
	return ls.Fingerprint().String()
}

// Status returns resolved when EndsAt is set and not after now, else firing.
func (a Alert) Status(now time.Time) Status {
	if !a.EndsAt.IsZero() && !a.EndsAt.After(now) {
		return StatusResolved
	}
	return StatusFiring
}

// AnnotationDataAbsent marks a resolved alert that ended because the data it
// was computed from vanished (the device fell silent, its series went stale),
// not because fresh data showed the condition gone. Its value is "true". The
// collector's rule engine sets it; it travels through Alertmanager and its
// webhook like any annotation, so the ticket intake sees it on every path.
// (Not prefixed roomwatch_: that prefix names metrics.)
const AnnotationDataAbsent = "data_absent"

// DataAbsent reports whether the alert carries AnnotationDataAbsent="true".
func (a Alert) DataAbsent() bool { return a.Annotations[AnnotationDataAbsent] == "true" }

// Name returns the alertname label.
func (a Alert) Name() string { return a.Labels[model.AlertNameLabel] }
