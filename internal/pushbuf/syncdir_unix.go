//go:build !windows

package pushbuf

import (
	"fmt"
	"os"
)

// syncDir makes a file creation or rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("pushbuf: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("pushbuf: sync dir: %w", err)
	}
	return nil
}
