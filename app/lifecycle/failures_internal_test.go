package lifecycle

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestPullFailureMessage(t *testing.T) {
	for _, tc := range []struct {
		name, image, engine string
		prefix, names       string
	}{
		{"tag missing", "ubuntu:nosuchtag", `Error response from daemon: manifest for ubuntu:nosuchtag not found: manifest unknown: manifest unknown`,
			"image not found:", "docker.io"},
		{"private", "ghcr.io/org/private:1", `Error response from daemon: Head "https://ghcr.io/v2/org/private/manifests/1": unauthorized`,
			"access denied:", "ghcr.io"},
		{"refused", "127.0.0.1:1/nope:1", `Error response from daemon: Get "https://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused`,
			"registry unreachable:", "127.0.0.1:1"},
		{"internal service", "10.0.0.5:22/x:1", `Error response from daemon: Get "https://10.0.0.5:22/v2/": http: server gave HTTP response to HTTPS client`,
			"registry unreachable:", "10.0.0.5:22"},
		{"other", "ubuntu", `Error response from daemon: toomanyrequests: You have reached your pull rate limit.`,
			"the image ubuntu could not be pulled", "state details"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := PullFailureMessage(tc.image, errors.New(tc.engine))
			if !strings.HasPrefix(msg, tc.prefix) || !strings.Contains(msg, tc.names) {
				t.Errorf("message %q, want it to start %q and name %q", msg, tc.prefix, tc.names)
			}
			for _, engine := range []string{"daemon", "https://", "/v2/", "dial tcp", "manifest unknown", "HTTPS client", "toomanyrequests"} {
				if strings.Contains(msg, engine) {
					t.Errorf("message %q echoes the engine's %q", msg, engine)
				}
			}
			f := pullFailure(tc.image, errors.New(tc.engine))
			if f.Error() != msg || f.detail != tc.engine || detailOf(fmt.Errorf("pull: %w", f)) != tc.engine {
				t.Errorf("failure %+v", f)
			}
		})
	}
}
