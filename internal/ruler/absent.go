package ruler

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/rules"

	"github.com/roomwatch/roomwatch/internal/alert"
)

// A silent device must never look healthy. When a device stops answering,
// the series its check produced go stale, the rule's expression returns
// nothing, and Prometheus's rule manager resolves the alert exactly as if
// the condition had cleared. The ruler tells the two apart: when an alert
// resolves it asks the store whether the series the rule reads still exist
// for the alert's device (or instance) at the resolve time. If none does, the
// resolve goes out marked alert.AnnotationDataAbsent ("the data vanished")
// and the alert is remembered; the ticket intake keeps its ticket open,
// marked unknown. Once the data is back and the rule, evaluated on it, no
// longer holds the alert (neither pending nor firing), a normal resolve is
// sent: only fresh data recovers a ticket. If the alert fires again
// instead, the rule manager's firing copy reaches the intake as usual.
//
// The identity label is "device", else "instance", taken from the alert's
// labels; one the rule sets itself (a static label) says nothing about the
// data and is skipped. An alert with neither cannot be checked: its resolve
// is sent normally, as before. The memory is in this process only: after a
// restart an alert resolved for lack of data is not re-resolved (its ticket
// stays unknown until someone closes it or the alert fires and resolves).

// settledKeep is how long a normally re-resolved alert is remembered, so that
// the rule manager's resends of the old resolve (for 15 minutes) go out
// normal too.
const settledKeep = 20 * time.Minute

// absentEntry is an alert resolved for lack of data.
type absentEntry struct {
	a          alert.Alert // the resolve as sent, data-absent
	resolvedAt time.Time   // the rule manager's ResolvedAt
	settledAt  time.Time   // when a normal resolve went out (zero: not yet)
}

// absentTracker holds the alerts resolved for lack of data, by fingerprint.
type absentTracker struct {
	mu sync.Mutex
	m  map[string]*absentEntry
}

// identity returns the label naming the alert's device in rule's data:
// device, else instance, when the alert has it and the rule does not set it.
func identity(rule *rules.AlertingRule, ls map[string]string) (string, string, bool) {
	for _, k := range []string{"device", "instance"} {
		if v := ls[k]; v != "" && (rule == nil || !rule.Labels().Has(k)) {
			return k, v, true
		}
	}
	return "", "", false
}

// rulesNamed returns the loaded alerting rules called name.
func (r *Ruler) rulesNamed(name string) []*rules.AlertingRule {
	var out []*rules.AlertingRule
	for _, ar := range r.mgr.AlertingRules() {
		if ar.Name() == name {
			out = append(out, ar)
		}
	}
	return out
}

// dataPresent reports whether any series a rule's expression selects exists
// for the alert's device at ts (present, not stale, within the lookback).
// Without an identity label or a selector it reports true: nothing to tell.
func (r *Ruler) dataPresent(ctx context.Context, rule *rules.AlertingRule, ls map[string]string, ts time.Time) (bool, error) {
	key, val, ok := identity(rule, ls)
	if !ok || rule == nil {
		return true, nil
	}
	var sels []*parser.VectorSelector
	parser.Inspect(rule.Query(), func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			sels = append(sels, vs)
		}
		return nil
	})
	if len(sels) == 0 {
		return true, nil
	}
	for _, vs := range sels {
		ms := make([]*labels.Matcher, 0, len(vs.LabelMatchers)+1)
		for _, m := range vs.LabelMatchers {
			if m.Name != key {
				ms = append(ms, m)
			}
		}
		ms = append(ms, labels.MustNewMatcher(labels.MatchEqual, key, val))
		sel := &parser.VectorSelector{Name: vs.Name, LabelMatchers: ms}
		q, err := r.opts.Engine.NewInstantQuery(ctx, r.opts.Queryable, nil, "count("+sel.String()+")", ts)
		if err != nil {
			return false, fmt.Errorf("data of %s: %w", rule.Name(), err)
		}
		res := q.Exec(ctx)
		q.Close()
		if res.Err != nil {
			return false, fmt.Errorf("data of %s: %w", rule.Name(), res.Err)
		}
		if v, err := res.Vector(); err == nil && len(v) > 0 {
			return true, nil
		}
	}
	return false, nil
}

// markAbsent checks the resolved alerts of one notification: those whose
// data vanished get the data-absent mark and are remembered; firing ones are
// forgotten (the rule holds them again).
func (r *Ruler) markAbsent(ctx context.Context, as []*rules.Alert, out []alert.Alert) {
	for i, ra := range as {
		fp := out[i].Fingerprint()
		if ra.ResolvedAt.IsZero() {
			r.absent.forget(fp)
			continue
		}
		if e, ok := r.absent.get(fp); ok && e.resolvedAt.Equal(ra.ResolvedAt) {
			if !e.settledAt.IsZero() {
				out[i].EndsAt = e.settledAt // a resend of a resolve since confirmed by fresh data
			} else {
				out[i] = e.a
			}
			continue
		}
		rule := r.ruleFor(out[i].Name(), ra.Labels)
		present, err := r.dataPresent(ctx, rule, out[i].Labels, ra.ResolvedAt)
		if err != nil {
			r.logger.Warn("cannot tell whether a resolved alert's data vanished; treated as vanished", "alertname", out[i].Name(), "err", err)
		}
		if present && err == nil {
			r.absent.forget(fp)
			continue
		}
		out[i].Annotations = maps.Clone(out[i].Annotations)
		if out[i].Annotations == nil {
			out[i].Annotations = map[string]string{}
		}
		out[i].Annotations[alert.AnnotationDataAbsent] = "true"
		r.absent.put(fp, &absentEntry{a: out[i], resolvedAt: ra.ResolvedAt})
		r.metrics.dataAbsent.Inc()
	}
}

// ruleFor returns the rule named name that produced an alert with ls (its
// active or recently resolved alerts include ls), else the first rule so named.
func (r *Ruler) ruleFor(name string, ls labels.Labels) *rules.AlertingRule {
	rs := r.rulesNamed(name)
	if len(rs) <= 1 {
		if len(rs) == 0 {
			return nil
		}
		return rs[0]
	}
	for _, ar := range rs {
		found := false
		ar.ForEachActiveAlert(func(a *rules.Alert) { found = found || labels.Equal(a.Labels, ls) })
		if found {
			return ar
		}
	}
	return rs[0]
}

// recheck looks at every remembered alert once: if its rule has been
// evaluated since on data that is present again and holds no pending or
// firing alert of the same labels, a normal resolve goes out.
func (r *Ruler) recheck(ctx context.Context) {
	now := r.opts.Clock.Now()
	for fp, e := range r.absent.snapshot() {
		if !e.settledAt.IsZero() {
			if now.Sub(e.settledAt) > settledKeep {
				r.absent.forget(fp)
			}
			continue
		}
		rule := r.ruleFor(e.a.Name(), labels.FromMap(e.a.Labels))
		if rule == nil {
			r.absent.forget(fp) // the rule is gone: nothing will ever resolve it
			continue
		}
		ts := rule.GetEvaluationTimestamp()
		if !ts.After(e.resolvedAt) {
			continue
		}
		want, active := labels.FromMap(e.a.Labels), false
		for _, a := range rule.ActiveAlerts() {
			active = active || labels.Equal(a.Labels, want)
		}
		if active {
			continue // pending or firing on the data that came back: the rule decides
		}
		present, err := r.dataPresent(ctx, rule, e.a.Labels, ts)
		if err != nil || !present {
			continue
		}
		x := e.a
		x.Annotations = maps.Clone(x.Annotations)
		delete(x.Annotations, alert.AnnotationDataAbsent)
		x.EndsAt = ts
		r.absent.settle(fp, x, ts)
		r.send(ctx, []alert.Alert{x})
	}
}

// runRecheck calls recheck every interval until ctx ends.
func (r *Ruler) runRecheck(ctx context.Context) {
	tk := r.opts.Clock.NewTicker(r.opts.Interval)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.Chan():
			r.recheck(ctx)
		}
	}
}

func (t *absentTracker) get(fp string) (absentEntry, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.m[fp]
	if !ok {
		return absentEntry{}, false
	}
	return *e, true
}

func (t *absentTracker) put(fp string, e *absentEntry) {
	t.mu.Lock()
	if t.m == nil {
		t.m = map[string]*absentEntry{}
	}
	t.m[fp] = e
	t.mu.Unlock()
}

func (t *absentTracker) settle(fp string, a alert.Alert, at time.Time) {
	t.mu.Lock()
	if e, ok := t.m[fp]; ok {
		e.a, e.settledAt = a, at
	}
	t.mu.Unlock()
}

func (t *absentTracker) forget(fp string) {
	t.mu.Lock()
	delete(t.m, fp)
	t.mu.Unlock()
}

func (t *absentTracker) snapshot() map[string]absentEntry {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]absentEntry, len(t.m))
	for k, v := range t.m {
		out[k] = *v
	}
	return out
}
