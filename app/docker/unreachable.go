package docker

import (
	"errors"
	"syscall"

	"github.com/moby/moby/client"
)

// IsUnreachable reports whether err means that no connection to the engine could be made (its socket is gone or
// refuses connections), as when the daemon is stopped; not an error the engine answered, nor a slow answer.
func IsUnreachable(err error) bool {
	return err != nil && (client.IsErrConnectionFailed(err) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT))
}
