package agent

import "context"

func (s *loadSource) read(context.Context) ([3]float64, error) {
	data, err := s.r.read(s.path)
	if err != nil {
		return [3]float64{}, err
	}
	return parseLoadavg(string(data))
}
