//go:build !linux

package agent

import (
	"errors"
	"io"
	"os"
)

func (r *fileReader) readPlatform(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r.buf = r.buf[:0]
	for {
		r.grow()
		n, err := f.Read(r.buf[len(r.buf):cap(r.buf)])
		r.buf = r.buf[:len(r.buf)+n]
		if errors.Is(err, io.EOF) {
			return r.buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
