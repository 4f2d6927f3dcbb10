package agent

import (
	"context"
	"path/filepath"
)

// memorySource exposes every /proc/meminfo line, memory and swap alike.
type memorySource struct {
	descs memoryDescs
	path  string
	r     fileReader
}

func newMemorySource(env sourceEnv) (source, error) {
	return &memorySource{descs: memoryDescs{}, path: filepath.Join(env.root, "/proc/meminfo")}, nil
}

func (s *memorySource) update(_ context.Context, out *sink) error {
	data, err := s.r.read(s.path)
	if err != nil {
		return err
	}
	return parseMeminfo(string(data), func(key string, v float64, bytes bool) {
		out.gauge(s.descs.get(key, bytes), v)
	})
}
