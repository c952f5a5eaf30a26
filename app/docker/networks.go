package docker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// NetworkSpec is a bridge network kiosc creates.
type NetworkSpec struct {
	Name   string
	Labels map[string]string
	// IDLabel ("key=value", one of Labels) finds the network again: only networks carrying it count as this one.
	IDLabel string
	// NoICC turns off traffic between the containers on the network (the bridge driver's enable_icc=false): each
	// reaches the host and the outside, never another container on the network.
	NoICC bool
	// Scope is "swarm" for a network of the whole swarm (every node makes its own bridge of it when a task of the
	// network runs there); empty for one of this engine only.
	Scope string
}

// iccOption is the bridge driver's switch for traffic between the containers of one network.
const iccOption = "com.docker.network.bridge.enable_icc"

// EnsureNetwork returns the ID of the network, creating it when absent. Engines before API 1.44 accept several
// networks of one name (the client no longer asks them to refuse duplicates), so callers that race, in this process
// or another, may each create one; every caller then settles on the oldest and removes the younger ones.
func (c *Client) EnsureNetwork(ctx context.Context, s NetworkSpec) (string, error) {
	c.nets.Lock()
	defer c.nets.Unlock()
	if id, err := c.findNetwork(ctx, s); err != nil || id != "" {
		return id, err
	}
	opts := client.NetworkCreateOptions{Driver: "bridge", Labels: s.Labels, Scope: s.Scope}
	if s.NoICC {
		opts.Options = map[string]string{iccOption: "false"}
	}
	c.count()
	_, cerr := c.cli.NetworkCreate(ctx, s.Name, opts)
	// Newer engines refuse a second network of the name: another caller was first, and the lookup finds its network.
	if cerr != nil && !cerrdefs.IsConflict(cerr) {
		return "", cerr
	}
	id, err := c.findNetwork(ctx, s)
	switch {
	case err != nil:
		return "", err
	case id == "" && cerr != nil:
		return "", fmt.Errorf("a network named %s exists without the label %s: %w", s.Name, s.IDLabel, cerr)
	case id == "":
		return "", fmt.Errorf("network %s vanished right after it was created", s.Name)
	}
	return id, nil
}

// findNetwork returns the ID of the oldest network with the spec's name and label ("" when there is none) and
// removes younger ones of the same name, which only a race of creators leaves behind. The oldest is the one every
// caller picks: a younger one did not exist yet when a caller that saw only the oldest chose.
func (c *Client) findNetwork(ctx context.Context, s NetworkSpec) (string, error) {
	c.count()
	res, err := c.cli.NetworkList(ctx, client.NetworkListOptions{Filters: make(client.Filters).Add("label", s.IDLabel)})
	if err != nil {
		return "", err
	}
	same := slices.DeleteFunc(res.Items, func(n network.Summary) bool { return n.Name != s.Name })
	if len(same) == 0 {
		return "", nil
	}
	slices.SortFunc(same, func(a, b network.Summary) int {
		if d := a.Created.Compare(b.Created); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
	for _, extra := range same[1:] {
		c.count()
		// Docker refuses to remove one a container already uses; it stays harmless, as nothing picks it.
		_, _ = c.cli.NetworkRemove(ctx, extra.ID, client.NetworkRemoveOptions{})
	}
	return same[0].ID, nil
}

// RemoveNetworks removes every network carrying the label filter; missing ones are fine.
func (c *Client) RemoveNetworks(ctx context.Context, labelFilter string) error {
	c.count()
	res, err := c.cli.NetworkList(ctx, client.NetworkListOptions{Filters: make(client.Filters).Add("label", labelFilter)})
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range res.Items {
		c.count()
		if _, err := c.cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ConnectNetwork attaches a container (e.g. kiosc itself) to a network; already connected is fine.
func (c *Client) ConnectNetwork(ctx context.Context, networkID, containerID string) error {
	c.count()
	_, err := c.cli.NetworkConnect(ctx, networkID, client.NetworkConnectOptions{Container: containerID})
	if err != nil && strings.Contains(err.Error(), "already exists") {
		return nil
	}
	return err
}
