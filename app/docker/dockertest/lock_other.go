//go:build !unix

package dockertest

// lockFile is a no-op where flock is unavailable; building the image twice
// is harmless.
func lockFile(string) (unlock func()) { return func() {} }
