//go:build windows

package store

import (
	"errors"

	"golang.org/x/sys/windows"
)

// lockHeld reports whether err is Windows's answer for a lock file another
// process holds open: Prometheus opens it with no sharing allowed.
func lockHeld(err error) bool {
	return errors.Is(err, windows.ERROR_SHARING_VIOLATION) || errors.Is(err, windows.ERROR_LOCK_VIOLATION)
}
