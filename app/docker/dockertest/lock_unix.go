//go:build unix

package dockertest

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on path, shared by all test
// processes on the machine, and returns its release. If the lock cannot be
// taken the caller proceeds unlocked: duplicate work is harmless.
func lockFile(path string) (unlock func()) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return func() {}
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return func() {}
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}
}
