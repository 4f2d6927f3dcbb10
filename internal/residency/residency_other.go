//go:build !linux

package residency

// ReleaseExecutablePages does nothing outside Linux (see residency_linux.go).
func ReleaseExecutablePages() (int64, error) { return 0, nil }
