package store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
)

// Querier runs PromQL. Inspections, reports and the wall display depend on it;
// one implementation runs over the embedded engine, the other over an external
// Prometheus-compatible HTTP API (Prometheus, VictoriaMetrics, Mimir, Thanos).
// Results use prometheus/common/model types in both cases.
type Querier interface {
	// Query evaluates expr at t (an instant query).
	Query(ctx context.Context, expr string, t time.Time) (model.Value, error)
	// QueryRange evaluates expr at every step from start to end.
	QueryRange(ctx context.Context, expr string, start, end time.Time, step time.Duration) (model.Value, error)
}

// LocalQuerier runs queries on an in-process PromQL engine.
type LocalQuerier struct {
	engine    promql.QueryEngine
	queryable storage.Queryable
}

// NewLocalQuerier returns a Querier over engine and queryable.
func NewLocalQuerier(engine promql.QueryEngine, queryable storage.Queryable) *LocalQuerier {
	return &LocalQuerier{engine: engine, queryable: queryable}
}

// Query implements Querier.
func (q *LocalQuerier) Query(ctx context.Context, expr string, t time.Time) (model.Value, error) {
	qry, err := q.engine.NewInstantQuery(ctx, q.queryable, nil, expr, t)
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", expr, err)
	}
	return exec(ctx, qry, expr)
}

// QueryRange implements Querier.
func (q *LocalQuerier) QueryRange(ctx context.Context, expr string, start, end time.Time, step time.Duration) (model.Value, error) {
	if step <= 0 {
		return nil, errors.New("query range: step must be positive")
	}
	qry, err := q.engine.NewRangeQuery(ctx, q.queryable, nil, expr, start, end, step)
	if err != nil {
		return nil, fmt.Errorf("query range %q: %w", expr, err)
	}
	return exec(ctx, qry, expr)
}

func exec(ctx context.Context, qry promql.Query, expr string) (model.Value, error) {
	defer qry.Close()
	res := qry.Exec(ctx)
	if res.Err != nil {
		return nil, fmt.Errorf("query %q: %w", expr, res.Err)
	}
	return toModel(res.Value)
}

// toModel converts a promql result (float samples only; histograms are not
// used by roomwatch) to the client model types.
func toModel(v any) (model.Value, error) {
	switch v := v.(type) {
	case promql.Vector:
		out := make(model.Vector, 0, len(v))
		for _, s := range v {
			out = append(out, &model.Sample{Metric: metric(s.Metric), Timestamp: model.Time(s.T), Value: model.SampleValue(s.F)})
		}
		return out, nil
	case promql.Matrix:
		out := make(model.Matrix, 0, len(v))
		for _, s := range v {
			ss := &model.SampleStream{Metric: metric(s.Metric), Values: make([]model.SamplePair, 0, len(s.Floats))}
			for _, p := range s.Floats {
				ss.Values = append(ss.Values, model.SamplePair{Timestamp: model.Time(p.T), Value: model.SampleValue(p.F)})
			}
			out = append(out, ss)
		}
		return out, nil
	case promql.Scalar:
		return &model.Scalar{Timestamp: model.Time(v.T), Value: model.SampleValue(v.V)}, nil
	case promql.String:
		return &model.String{Timestamp: model.Time(v.T), Value: v.V}, nil
	}
	return nil, fmt.Errorf("unexpected query result type %T", v)
}

func metric(ls labels.Labels) model.Metric {
	m := make(model.Metric, ls.Len())
	ls.Range(func(l labels.Label) { m[model.LabelName(l.Name)] = model.LabelValue(l.Value) })
	return m
}

// HTTPQuerier runs queries on an external Prometheus HTTP API (scale mode).
type HTTPQuerier struct {
	api promv1.API
}

// NewHTTPQuerier returns a Querier for the Prometheus API at baseURL
// (e.g. http://prometheus:9090). A nil client uses http.DefaultClient.
func NewHTTPQuerier(baseURL string, client *http.Client) (*HTTPQuerier, error) {
	cfg := api.Config{Address: baseURL}
	if client != nil {
		cfg.Client = client
	}
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("prometheus client for %s: %w", baseURL, err)
	}
	return &HTTPQuerier{api: promv1.NewAPI(c)}, nil
}

// Query implements Querier.
func (q *HTTPQuerier) Query(ctx context.Context, expr string, t time.Time) (model.Value, error) {
	v, _, _, err := q.api.Query(ctx, expr, t)
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", expr, err)
	}
	return v, nil
}

// QueryRange implements Querier.
func (q *HTTPQuerier) QueryRange(ctx context.Context, expr string, start, end time.Time, step time.Duration) (model.Value, error) {
	v, _, _, err := q.api.QueryRange(ctx, expr, promv1.Range{Start: start, End: end, Step: step})
	if err != nil {
		return nil, fmt.Errorf("query range %q: %w", expr, err)
	}
	return v, nil
}
