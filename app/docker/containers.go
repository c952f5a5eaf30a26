package docker

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// ContainerSpec is what kiosc creates.
type ContainerSpec struct {
	Name       string
	Image      string
	Cmd        []string // nil: the image's default
	Entrypoint []string // nil: the image's default
	Env        []string
	Labels     map[string]string
	Binds      []string // read-only script mounts only
	// Mounts are the named volumes mounted (never host paths).
	Mounts []Mount
	// User runs the container's processes as uid[:gid] or a name (empty: the image's user).
	User string
	// ReadonlyRootfs mounts the image's file system read-only; Tmpfs adds writable tmpfs mounts (path → options).
	ReadonlyRootfs bool
	Tmpfs          map[string]string
	ContainerPort  int // 0: none exposed
	// PublishIP, when valid, publishes ContainerPort on a free host port there (default-bridge mode).
	PublishIP netip.Addr
	// Network, when set, attaches the container to this network (name or ID) instead of Docker's default bridge.
	Network   string
	Memory    int64   // bytes, 0 = none
	CPUs      float64 // 0 = none
	PidsLimit int64   // 0 = none
	// CapDrop and CapAdd change Docker's default capabilities ("ALL" in CapDrop starts from none).
	CapDrop []string
	CapAdd  []string
	// Placement are Swarm placement constraints (e.g. node.labels.gpu==true); a single engine ignores them.
	Placement []string
	// Local keeps the container on the engine kiosc talks to even on a swarm (kiosc's own helper containers).
	Local bool
}

// Create creates (but does not start) a container and returns its ID.
func (c *Client) Create(ctx context.Context, s ContainerSpec) (string, error) {
	c.count()
	cfg := &container.Config{Image: s.Image, Env: s.Env, Labels: s.Labels, User: s.User}
	var port network.Port
	if s.ContainerPort > 0 {
		port = network.MustParsePort(fmt.Sprintf("%d/tcp", s.ContainerPort))
		cfg.ExposedPorts = network.PortSet{port: {}}
	}
	if s.Cmd != nil {
		cfg.Cmd = s.Cmd
	}
	if s.Entrypoint != nil {
		cfg.Entrypoint = s.Entrypoint
	}
	hc := &container.HostConfig{
		Binds:       s.Binds,
		SecurityOpt: []string{"no-new-privileges"},
		CapDrop:     s.CapDrop,
		CapAdd:      s.CapAdd,
		LogConfig:   container.LogConfig{Type: "json-file"},
		Mounts:      mounts(s.Mounts),
		Tmpfs:       s.Tmpfs,
	}
	hc.ReadonlyRootfs = s.ReadonlyRootfs
	hc.Memory = s.Memory
	if s.Memory > 0 {
		hc.MemorySwap = s.Memory
	}
	hc.NanoCPUs = int64(s.CPUs * 1e9)
	if s.PidsLimit > 0 {
		p := s.PidsLimit
		hc.PidsLimit = &p
	}
	var nc *network.NetworkingConfig
	if s.Network != "" {
		hc.NetworkMode = container.NetworkMode(s.Network)
		nc = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{s.Network: {}}}
	}
	if s.PublishIP.IsValid() && s.ContainerPort > 0 {
		hc.PortBindings = network.PortMap{port: {{HostIP: s.PublishIP}}}
	}
	res, err := c.cli.ContainerCreate(ctx, client.ContainerCreateOptions{Name: s.Name, Config: cfg, HostConfig: hc, NetworkingConfig: nc})
	if err != nil {
		return "", wrap(err)
	}
	return res.ID, nil
}

// Start starts a created or stopped container.
func (c *Client) Start(ctx context.Context, id string) error {
	c.count()
	_, err := c.cli.ContainerStart(ctx, id, client.ContainerStartOptions{})
	return wrap(err)
}

// Stop stops a container, killing it after timeout.
func (c *Client) Stop(ctx context.Context, id string, timeout time.Duration) error {
	c.count()
	t := int(timeout.Seconds())
	_, err := c.cli.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: &t})
	return wrap(err)
}

// Kill sends SIGKILL.
func (c *Client) Kill(ctx context.Context, id string) error {
	c.count()
	_, err := c.cli.ContainerKill(ctx, id, client.ContainerKillOptions{})
	return wrap(err)
}

// Pause freezes a running container.
func (c *Client) Pause(ctx context.Context, id string) error {
	c.count()
	_, err := c.cli.ContainerPause(ctx, id, client.ContainerPauseOptions{})
	return wrap(err)
}

// Unpause resumes a paused container.
func (c *Client) Unpause(ctx context.Context, id string) error {
	c.count()
	_, err := c.cli.ContainerUnpause(ctx, id, client.ContainerUnpauseOptions{})
	return wrap(err)
}

// Remove force-removes a container and its anonymous volumes; a missing container is not an error.
func (c *Client) Remove(ctx context.Context, id string) error {
	c.count()
	_, err := c.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && cerrdefs.IsNotFound(err) {
		return nil
	}
	return err
}

// Docker's names of the container states kiosc sets or looks for (ContainerInfo.Status, ContainerItem.State).
const (
	StatusCreated = "created"
	StatusRunning = "running"
	StatusPaused  = "paused"
)

// ContainerInfo is what kiosc needs from an inspect.
type ContainerInfo struct {
	ID    string
	Name  string
	Image string
	// ImageID is the ID of the image the container was created from.
	ImageID    string
	Labels     map[string]string
	Status     string // created, running, paused, restarting, removing, exited, dead
	Running    bool
	Paused     bool
	ExitCode   int
	OOMKilled  bool
	Error      string
	StartedAt  time.Time
	FinishedAt time.Time
	// Pid is the host's process ID of the container's init process while it runs (0 otherwise).
	Pid int
	// HostIP and HostPort of the published container port (default-bridge).
	HostIP   string
	HostPort int
	// IPs by network name.
	IPs         map[string]string
	Memory      int64
	NanoCPUs    int64
	PidsLimit   int64
	SecurityOpt []string
	CapDrop     []string
	CapAdd      []string
	Env         []string
	Cmd         []string
	Entrypoint  []string
	Binds       []string
	// User is the user the container runs as (its own setting, else the image's).
	User           string
	Mounts         []MountInfo
	ReadonlyRootfs bool
	Tmpfs          map[string]string
	// Pending: a Swarm task that does not run yet (no node has room, the node pulls the image, it starts);
	// PendingReason is what the scheduler or the node says.
	Pending       bool
	PendingReason string
	// Node is the name of the Swarm node that runs it (empty on a single engine).
	Node string
	// Placement are the Swarm placement constraints.
	Placement []string
}

// MountInfo is a volume mounted into a container, as an inspect reports it.
type MountInfo struct {
	Name        string // the volume's name ("" for other mounts)
	Destination string
	RW          bool
}

// Inspect returns the container's state; ErrNotFound when it does not exist.
func (c *Client) Inspect(ctx context.Context, id string) (*ContainerInfo, error) {
	c.count()
	res, err := c.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return nil, wrap(err)
	}
	r := res.Container
	info := &ContainerInfo{ID: r.ID, Name: strings.TrimPrefix(r.Name, "/"), ImageID: r.Image, IPs: map[string]string{}}
	if r.Config != nil {
		info.Image, info.Labels, info.Env, info.Cmd, info.Entrypoint = r.Config.Image, r.Config.Labels, r.Config.Env, r.Config.Cmd, r.Config.Entrypoint
		info.User = r.Config.User
	}
	if st := r.State; st != nil {
		info.Status, info.Running, info.Paused, info.ExitCode, info.OOMKilled, info.Error =
			string(st.Status), st.Running, st.Paused, st.ExitCode, st.OOMKilled, st.Error
		info.StartedAt = dockerTime(st.StartedAt)
		info.FinishedAt = dockerTime(st.FinishedAt)
		info.Pid = st.Pid
	}
	if hc := r.HostConfig; hc != nil {
		info.Memory, info.NanoCPUs, info.SecurityOpt, info.Binds = hc.Memory, hc.NanoCPUs, hc.SecurityOpt, hc.Binds
		info.CapDrop, info.CapAdd = hc.CapDrop, hc.CapAdd
		info.ReadonlyRootfs, info.Tmpfs = hc.ReadonlyRootfs, hc.Tmpfs
		if hc.PidsLimit != nil {
			info.PidsLimit = *hc.PidsLimit
		}
	}
	for _, mp := range r.Mounts {
		info.Mounts = append(info.Mounts, MountInfo{Name: mp.Name, Destination: mp.Destination, RW: mp.RW})
	}
	if ns := r.NetworkSettings; ns != nil {
		for _, bs := range ns.Ports {
			for _, b := range bs {
				if p, err := strconv.Atoi(b.HostPort); err == nil && p > 0 {
					info.HostPort = p
					if b.HostIP.IsValid() {
						info.HostIP = b.HostIP.String()
					}
				}
			}
		}
		for name, ep := range ns.Networks {
			if ep != nil && ep.IPAddress.IsValid() {
				info.IPs[name] = ep.IPAddress.String()
			}
		}
	}
	return info, nil
}

// dockerTime parses Docker's RFC 3339 times; the zero time ("0001-01-01...") stays zero.
func dockerTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() < 1970 {
		return time.Time{}
	}
	return t.UTC()
}

// Summary is one container of a list.
type Summary struct {
	ID     string
	Name   string
	State  string // created, running, paused, restarting, removing, exited, dead
	Image  string
	Labels map[string]string
	// Node is the name of the Swarm node that runs it (empty on a single engine).
	Node string
}

// List returns every container (running or not) matching all label filters ("key=value" or "key").
func (c *Client) List(ctx context.Context, labels ...string) ([]Summary, error) {
	c.count()
	f := make(client.Filters)
	for _, l := range labels {
		f.Add("label", l)
	}
	res, err := c.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil, err
	}
	out := make([]Summary, 0, len(res.Items))
	for _, it := range res.Items {
		s := Summary{ID: it.ID, State: string(it.State), Image: it.Image, Labels: it.Labels}
		if len(it.Names) > 0 {
			s.Name = strings.TrimPrefix(it.Names[0], "/")
		}
		out = append(out, s)
	}
	return out, nil
}

// Event is a container event from the engine.
type Event struct {
	ContainerID string
	Action      string // create, start, die, oom, kill, stop, pause, unpause, destroy, ...
	Labels      map[string]string
	ExitCode    string
	Time        time.Time
}

// Events streams container events matching the label filters from since (zero: now) until ctx ends or the stream
// fails; the error channel then delivers the reason (io.EOF on a clean end). Callers reconnect with since set to
// the time of the last event seen, so nothing is missed.
func (c *Client) Events(ctx context.Context, since time.Time, labels ...string) (<-chan Event, <-chan error) {
	c.count()
	f := make(client.Filters).Add("type", "container")
	for _, l := range labels {
		f.Add("label", l)
	}
	opts := client.EventsListOptions{Filters: f}
	if !since.IsZero() {
		opts.Since = strconv.FormatFloat(float64(since.UnixNano())/1e9, 'f', 9, 64)
	}
	res := c.cli.Events(ctx, opts)
	out := make(chan Event, 64)
	errc := make(chan error, 1)
	go func() {
		defer close(out)
		for {
			select {
			case m := <-res.Messages:
				e := Event{ContainerID: m.Actor.ID, Action: string(m.Action), Labels: m.Actor.Attributes,
					Time: time.Unix(0, m.TimeNano).UTC()}
				if m.Actor.Attributes != nil {
					e.ExitCode = m.Actor.Attributes["exitCode"]
				}
				select {
				case out <- e:
				case <-ctx.Done():
					errc <- ctx.Err()
					return
				}
			case err := <-res.Err:
				if err == nil {
					err = io.EOF
				}
				errc <- err
				return
			case <-ctx.Done():
				errc <- ctx.Err()
				return
			}
		}
	}()
	return out, errc
}
