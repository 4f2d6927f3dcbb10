//go:build !windows

package store

import (
	"errors"
	"syscall"
)

// lockHeld reports whether err is flock's answer for a lock another process
// holds.
func lockHeld(err error) bool { return errors.Is(err, syscall.EWOULDBLOCK) }
