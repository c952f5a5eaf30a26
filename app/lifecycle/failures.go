package lifecycle

import (
	"errors"
	"fmt"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/settings"
)

// failure is a failed step of a start told in words (msg: the state message, events, jobs and timeline, which
// guests see) with the engine's own text kept apart (detail: the state detail, for those who manage the container).
// The engine's text is kept out of the message because it names hosts, ports and addresses as the Docker host sees
// them: with an image such as 10.0.0.5:22/x, a pull is a probe of the host's network, and its error text the answer.
type failure struct {
	msg    string
	detail string
}

func (f *failure) Error() string { return f.msg }

// detailOf returns the engine's text of a failure ("" for other errors, whose text is kiosc's own).
func detailOf(err error) string {
	if f, ok := errors.AsType[*failure](err); ok {
		return f.detail
	}
	return ""
}

// PullFailureMessage describes a failed pull (or image lookup) of image in words: the cause and what to do, without
// the engine's text.
func PullFailureMessage(image string, err error) string {
	reg := settings.ImageRegistry(image)
	switch docker.ClassifyPull(err) {
	case docker.PullNotFound:
		return fmt.Sprintf("image not found: the registry %s has no image %s; check the repository name and the tag", reg, image)
	case docker.PullDenied:
		return fmt.Sprintf("access denied: the registry %s refused the image %s; it may be private and need registry "+
			"credentials, the credentials may be wrong, or the repository may not exist", reg, image)
	case docker.PullUnreachable:
		return fmt.Sprintf("registry unreachable: the Docker host could not connect to %s (unknown name, connection "+
			"refused or timed out, or no HTTPS there); check the registry in the image name, or try again later", reg)
	}
	return fmt.Sprintf("the image %s could not be pulled; Docker's own message is in the state details", image)
}

// pullFailure is a failed pull or image lookup.
func pullFailure(image string, err error) *failure {
	return &failure{msg: PullFailureMessage(image, err), detail: err.Error()}
}

// registryRefused is a start refused because the site does not allow the image's registry (images of records
// created before KIOSC_ALLOWED_REGISTRIES was set, or an image already on the host).
func registryRefused(msg string) *failure {
	return &failure{msg: "registry not allowed: " + msg + "; choose an image from an allowed registry"}
}

// createFailure is a Docker container (or its network) the engine did not create.
func createFailure(what string, err error) *failure {
	if docker.IsNotFound(err) {
		return &failure{msg: "the image is no longer on the Docker host; start the container again to pull it", detail: err.Error()}
	}
	return &failure{msg: "Docker could not create " + what + "; its own message is in the state details", detail: err.Error()}
}

// startFailure is a Docker container the engine did not start.
func startFailure(err error) *failure {
	if docker.MissingExecutable(err) {
		return &failure{msg: "the command could not be run: its executable (or a script's interpreter) is missing in the " +
			"image or not executable; check the container's command", detail: err.Error()}
	}
	if docker.UnknownUser(err) {
		return &failure{msg: "the user the container is to run as is not known in the image (not in its /etc/passwd or " +
			"/etc/group); give a numeric uid[:gid] or a user the image has", detail: err.Error()}
	}
	return &failure{msg: "Docker could not start the container; its own message is in the state details", detail: err.Error()}
}
