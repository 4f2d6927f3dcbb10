package store

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"
)

func TestIsLocked(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("store: open tsdb in /d: lock DB directory: %w", syscall.EWOULDBLOCK), true},
		// The text decides nothing: only the error's type does.
		{errors.New("store: open tsdb in /d: lock DB directory: The process cannot access the file"), false},
		{fmt.Errorf("store: open tsdb in /d: lock DB directory: %w", &fs.PathError{Op: "open", Path: "/d/lock", Err: fs.ErrPermission}), false},
		{fmt.Errorf("store: open tsdb in /d: %w", errors.New("corrupted block")), false},
	} {
		if got := IsLocked(c.err); got != c.want {
			t.Errorf("IsLocked(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
