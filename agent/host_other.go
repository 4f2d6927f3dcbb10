//go:build !linux

package agent

// unameLabels returns nil: there is no uname(2) (Windows); roomwatch_host_info
// carries the same facts.
func unameLabels() []string { return nil }
