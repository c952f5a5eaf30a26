//go:build linux || darwin

package proxy

import (
	"errors"
	"net"
	"syscall"
)

// readableWaiter returns a function that blocks until c has bytes to read (or reached EOF or failed) without reading
// them, so that the caller needs a buffer only once there is something to copy. It returns nil for connections
// without a socket underneath.
func readableWaiter(c net.Conn) func() error {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	var one [1]byte
	return func() error {
		return rc.Read(func(fd uintptr) bool {
			for {
				_, _, err := syscall.Recvfrom(int(fd), one[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
				switch {
				case errors.Is(err, syscall.EINTR):
					continue
				case errors.Is(err, syscall.EAGAIN):
					return false // nothing yet: the runtime parks until the socket is readable
				default:
					return true // data, EOF or an error: the Read that follows reports it
				}
			}
		})
	}
}
