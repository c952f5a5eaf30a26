package lifecycle

import (
	"context"
	"fmt"

	"github.com/bihealth/kiosc/app/docker"
)

// ImageFacts is what the Docker host knows about an image, without pulling it: whether it has the image, the TCP
// ports it exposes and its working directory. The container form pre-fills the port from them.
type ImageFacts struct {
	Image        string `json:"image"`
	Present      bool   `json:"present"`
	ExposedPorts []int  `json:"exposed_ports"`
	WorkingDir   string `json:"working_dir"`
}

// InspectImage looks ref up on the Docker host. An image the host does not have is not an error: Present is false
// and nothing else is known until a container's first start pulls it (see Container.ImagePorts).
func (m *Manager) InspectImage(ctx context.Context, ref string) (*ImageFacts, error) {
	ud, err := m.updateDocker()
	if err != nil {
		return nil, err
	}
	facts := &ImageFacts{Image: ref, ExposedPorts: []int{}}
	img, err := ud.ImageInfo(ctx, ref)
	switch {
	case docker.IsNotFound(err):
		return facts, nil
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrDockerUnavailable, err)
	}
	facts.Present, facts.ExposedPorts, facts.WorkingDir = true, orEmpty(img.ExposedPorts), img.WorkingDir
	return facts, nil
}
