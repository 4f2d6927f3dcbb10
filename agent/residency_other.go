//go:build !linux

package agent

// releaseStartupPages does nothing outside Linux (see residency_linux.go).
func releaseStartupPages() (int64, error) { return 0, nil }
