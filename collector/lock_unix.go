//go:build !windows

package collector

import (
	"os"
	"syscall"
)

var errWouldBlock = syscall.EWOULDBLOCK

func lockFileNB(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

func unlockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
