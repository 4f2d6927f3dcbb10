package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/go-openapi/strfmt"
	"github.com/prometheus/alertmanager/api/v2/models"
	"github.com/prometheus/alertmanager/notify/webhook"
	"github.com/prometheus/common/model"

	"github.com/roomwatch/roomwatch/internal/alert"
)

// MaxAlerts bounds the alerts in one delivery.
const MaxAlerts = 10000

func checkLabels(i int, labels map[string]string) error {
	if len(labels) == 0 {
		return fmt.Errorf("alert %d: no labels", i)
	}
	if labels[model.AlertNameLabel] == "" {
		return fmt.Errorf("alert %d: no alertname label", i)
	}
	for k, v := range labels {
		if !model.LegacyValidation.IsValidLabelName(k) {
			return fmt.Errorf("alert %d: invalid label name %q", i, k)
		}
		if !utf8.ValidString(v) {
			return fmt.Errorf("alert %d: label %s is not valid UTF-8", i, k)
		}
	}
	return nil
}

func strictUnmarshal(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	if dec.More() {
		return errors.New("invalid JSON: data after the payload")
	}
	return nil
}

// DecodeWebhook parses an Alertmanager webhook payload (version 4) into
// alerts. A resolved alert without endsAt is taken as resolved at now; a
// firing alert's endsAt is ignored.
func DecodeWebhook(body []byte, now time.Time) ([]alert.Alert, error) {
	var m webhook.Message
	if err := strictUnmarshal(body, &m); err != nil {
		return nil, err
	}
	if m.Version != "4" {
		return nil, fmt.Errorf("webhook version %q: only version 4 is supported", m.Version)
	}
	if m.Data == nil {
		return nil, errors.New("webhook payload has no alerts")
	}
	if len(m.Alerts) > MaxAlerts {
		return nil, fmt.Errorf("%d alerts in one payload, at most %d", len(m.Alerts), MaxAlerts)
	}
	out := make([]alert.Alert, 0, len(m.Alerts))
	for i, a := range m.Alerts {
		if err := checkLabels(i, a.Labels); err != nil {
			return nil, err
		}
		if err := alert.CheckSize(a.Labels, a.Annotations, a.GeneratorURL); err != nil {
			return nil, fmt.Errorf("alert %d: %w", i, err)
		}
		x := alert.Alert{Labels: a.Labels, Annotations: a.Annotations, StartsAt: a.StartsAt, GeneratorURL: a.GeneratorURL, Source: alert.SourceWebhook}
		switch a.Status {
		case string(model.AlertFiring):
		case string(model.AlertResolved):
			x.EndsAt = a.EndsAt
			if x.EndsAt.IsZero() || x.EndsAt.After(now) {
				x.EndsAt = now
			}
		default:
			return nil, fmt.Errorf("alert %d: status %q: want firing or resolved", i, a.Status)
		}
		out = append(out, x)
	}
	return out, nil
}

// DecodeV2 parses the body of POST /api/v2/alerts (a JSON array of
// postableAlert, as Prometheus sends). An alert whose endsAt has passed is
// resolved; one without startsAt starts at now.
func DecodeV2(body []byte, now time.Time) ([]alert.Alert, error) {
	var as models.PostableAlerts
	if err := strictUnmarshal(body, &as); err != nil {
		return nil, err
	}
	if len(as) > MaxAlerts {
		return nil, fmt.Errorf("%d alerts in one request, at most %d", len(as), MaxAlerts)
	}
	out := make([]alert.Alert, 0, len(as))
	for i, a := range as {
		if a == nil {
			return nil, fmt.Errorf("alert %d: null", i)
		}
		if err := a.Validate(strfmt.Default); err != nil {
			return nil, fmt.Errorf("alert %d: %v", i, err)
		}
		if err := checkLabels(i, a.Labels); err != nil {
			return nil, err
		}
		if err := alert.CheckSize(a.Labels, a.Annotations, a.GeneratorURL.String()); err != nil {
			return nil, fmt.Errorf("alert %d: %w", i, err)
		}
		x := alert.Alert{Labels: a.Labels, Annotations: a.Annotations, GeneratorURL: a.GeneratorURL.String(), Source: alert.SourceAPIv2,
			StartsAt: time.Time(a.StartsAt), EndsAt: time.Time(a.EndsAt)}
		if x.StartsAt.IsZero() {
			x.StartsAt = now
		}
		if !x.EndsAt.IsZero() && x.EndsAt.Before(x.StartsAt) {
			return nil, fmt.Errorf("alert %d: endsAt is before startsAt", i)
		}
		out = append(out, x)
	}
	return out, nil
}
