package promapi

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
)

// DefaultMaxSeries is query.max_series's default: the series one
// /api/v1/query or query_range answer may hold. A dashboard panel shows tens;
// 100,000 series of JSON is tens of MB.
const DefaultMaxSeries = 100_000

// ErrTooManySeries is the error of a query whose answer holds more series
// than Options.MaxSeries; the API answers it 422 (errorType "execution"), as
// Prometheus answers a query that exceeds query.max-samples.
var ErrTooManySeries = errors.New("query returns too many series")

// TooManySeriesError is an answer refused for its size;
// errors.Is(err, ErrTooManySeries) holds.
type TooManySeriesError struct {
	Series int // in the answer
	Limit  int // query.max_series
}

func (e *TooManySeriesError) Error() string {
	return fmt.Sprintf("%v: %d, more than query.max_series %d; narrow the selector or aggregate", ErrTooManySeries, e.Series, e.Limit)
}

// Unwrap lets errors.Is find ErrTooManySeries.
func (e *TooManySeriesError) Unwrap() error { return ErrTooManySeries }

// seriesLimitEngine wraps the engine the API queries with so that an answer
// of more than max series is an error instead of a response of that size.
// The rule evaluator uses the engine directly and is not limited.
type seriesLimitEngine struct {
	promql.QueryEngine
	max int
}

func (e *seriesLimitEngine) NewInstantQuery(ctx context.Context, q storage.Queryable, opts promql.QueryOpts, qs string, ts time.Time) (promql.Query, error) {
	qry, err := e.QueryEngine.NewInstantQuery(ctx, q, opts, qs, ts)
	if err != nil {
		return nil, err
	}
	return &seriesLimitQuery{Query: qry, max: e.max}, nil
}

func (e *seriesLimitEngine) NewRangeQuery(ctx context.Context, q storage.Queryable, opts promql.QueryOpts, qs string, start, end time.Time, interval time.Duration) (promql.Query, error) {
	qry, err := e.QueryEngine.NewRangeQuery(ctx, q, opts, qs, start, end, interval)
	if err != nil {
		return nil, err
	}
	return &seriesLimitQuery{Query: qry, max: e.max}, nil
}

type seriesLimitQuery struct {
	promql.Query
	max int
}

// Exec runs the query and refuses an answer of more than max series, before
// it is encoded.
func (q *seriesLimitQuery) Exec(ctx context.Context) *promql.Result {
	res := q.Query.Exec(ctx)
	if res.Err != nil {
		return res
	}
	n := 0
	switch v := res.Value.(type) {
	case promql.Vector:
		n = len(v)
	case promql.Matrix:
		n = len(v)
	}
	if n > q.max {
		return &promql.Result{Err: &TooManySeriesError{Series: n, Limit: q.max}, Warnings: res.Warnings}
	}
	return res
}
