package agent

import (
	"context"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// platformMounts reads the mount table of PID 1 (the host's, when the agent
// runs in a container with /proc shared), else the agent's own.
func platformMounts(root string) func(context.Context) ([]mount, error) {
	var r fileReader
	return func(context.Context) ([]mount, error) {
		data, err := r.read(filepath.Join(root, "/proc/1/mountinfo"))
		if err != nil {
			data, err = r.read(filepath.Join(root, "/proc/self/mountinfo"))
		}
		if err != nil {
			return nil, err
		}
		return parseMountinfo(string(data))
	}
}

// platformStatFS is statfs(2); it may block for ever on a hung network mount.
func platformStatFS(path string) (fsStats, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return fsStats{}, err
	}
	bs := float64(st.Bsize)
	return fsStats{
		size:      float64(st.Blocks) * bs,
		free:      float64(st.Bfree) * bs,
		avail:     float64(st.Bavail) * bs,
		files:     float64(st.Files),
		filesFree: float64(st.Ffree),
	}, nil
}
