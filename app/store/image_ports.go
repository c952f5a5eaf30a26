package store

import (
	"context"
	"encoding/json"
	"fmt"
)

// SetImagePorts records the TCP ports a container's image exposes (see Container.ImagePorts). It does not count as a
// change of the record: the create that learns them saves the container's state right after.
func (s *Store) SetImagePorts(ctx context.Context, uuid string, ports []int) error {
	if ports == nil {
		ports = []int{}
	}
	_, err := s.db.ExecContext(ctx, `UPDATE containers SET image_ports=? WHERE uuid=?`, jsonText(ports), uuid)
	return err
}

// scanImagePorts reads the image_ports column.
func scanImagePorts(uuid, text string) ([]int, error) {
	ports := []int{}
	if text == "" {
		return ports, nil
	}
	if err := json.Unmarshal([]byte(text), &ports); err != nil {
		return nil, fmt.Errorf("container %s image ports: %w", uuid, err)
	}
	return ports, nil
}
