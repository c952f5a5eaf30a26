// Package docker is kiosc's only contact with the Docker SDK. It wraps the moby client behind methods that take and
// return kiosc's own types, so no other package imports Docker types.
package docker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// Client talks to one Docker engine (DOCKER_HOST or /var/run/docker.sock), negotiating the API version.
type Client struct {
	cli   *client.Client
	calls callCounter
	// nets serialises EnsureNetwork: engines before 25 allow two networks of one name, and the creation time they
	// record is taken before the network is listed, so racing creators could each pick their own.
	nets sync.Mutex
}

// New connects lazily; the first call negotiates the API version.
func New() (*Client, error) {
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	return &Client{cli: cli}, nil
}

// NewHost connects to the engine at host (DOCKER_HOST form, e.g. unix:///run/other.sock) instead of the environment's.
func NewHost(host string) (*Client, error) {
	cli, err := client.New(client.FromEnv, client.WithHost(host))
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	return &Client{cli: cli}, nil
}

// Close releases the client's connections.
func (c *Client) Close() error { return c.cli.Close() }

// EngineInfo describes the engine that answered a ping.
type EngineInfo struct {
	APIVersion string
	OSType     string
}

// Ping checks that the engine answers and returns the negotiated API version.
func (c *Client) Ping(ctx context.Context) (EngineInfo, error) {
	p, err := c.cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
	if err != nil {
		return EngineInfo{}, fmt.Errorf("docker engine unreachable at %s: %w", c.cli.DaemonHost(), err)
	}
	return EngineInfo{APIVersion: c.cli.ClientVersion(), OSType: p.OSType}, nil
}

// ErrNotFound is returned when a container, image or network does not exist.
var ErrNotFound = errors.New("docker object not found")

// IsNotFound reports whether err means the object does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) || cerrdefs.IsNotFound(err) }

// wrap turns the SDK's not-found errors into ErrNotFound so callers need no SDK imports.
func wrap(err error) error {
	if err != nil && cerrdefs.IsNotFound(err) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

// calls counts Docker API calls (for benchmarks).
type callCounter struct{ n atomic.Int64 }

// Calls returns how many Docker API calls this client has made.
func (c *Client) Calls() int64 { return c.calls.n.Load() }

func (c *Client) count() { c.calls.n.Add(1) }
