//go:build !linux

package agent

import (
	"context"

	"github.com/shirou/gopsutil/v4/load"
)

func (s *loadSource) read(ctx context.Context) ([3]float64, error) {
	a, err := load.AvgWithContext(ctx)
	if err != nil {
		return [3]float64{}, err
	}
	return [3]float64{a.Load1, a.Load5, a.Load15}, nil
}
