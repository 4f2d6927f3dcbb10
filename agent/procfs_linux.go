package agent

import "golang.org/x/sys/unix"

// readPlatform uses open/read/close directly: os.Open also makes the
// descriptor non-blocking and tries to register it with the poller, which
// tripled the system calls per /proc file.
func (r *fileReader) readPlatform(path string) ([]byte, error) {
	fd, err := openRetry(path)
	if err != nil {
		return nil, &pathError{op: "open", path: path, err: err}
	}
	defer unix.Close(fd)
	r.buf = r.buf[:0]
	for {
		r.grow()
		n, err := unix.Read(fd, r.buf[len(r.buf):cap(r.buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &pathError{op: "read", path: path, err: err}
		}
		if n == 0 {
			return r.buf, nil
		}
		r.buf = r.buf[:len(r.buf)+n]
		if r.single && len(r.buf) < cap(r.buf) {
			// /proc/PID/stat and cmdline come whole in one read when the
			// buffer has room: skip the read that would return 0.
			return r.buf, nil
		}
	}
}

func openRetry(path string) (int, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}
