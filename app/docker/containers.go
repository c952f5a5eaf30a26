package docker

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"
)

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

// RegistryAuth are credentials for a private registry.
type RegistryAuth struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// PullProgress is one progress report of an image pull, summed over layers.
type PullProgress struct {
	Status  string
	Current int64
	Total   int64
}

// ImageExists reports whether the engine has the image locally.
func (c *Client) ImageExists(ctx context.Context, ref string) (bool, error) {
	c.count()
	_, err := c.cli.ImageInspect(ctx, ref)
	if err == nil {
		return true, nil
	}
	if cerrdefs.IsNotFound(err) {
		return false, nil
	}
	return false, err
}

// Pull pulls ref, calling progress (may be nil) with the summed layer progress at most every 200 ms.
func (c *Client) Pull(ctx context.Context, ref string, auth *RegistryAuth, progress func(PullProgress)) error {
	c.count()
	opts := client.ImagePullOptions{}
	if auth != nil {
		host := registryHost(ref)
		aj, _ := json.Marshal(registry.AuthConfig{Username: auth.Username, Password: auth.Password, ServerAddress: host})
		opts.RegistryAuth = base64.URLEncoding.EncodeToString(aj)
	}
	res, err := c.cli.ImagePull(ctx, ref, opts)
	if err != nil {
		return wrap(err)
	}
	defer res.Close()
	type layer struct{ cur, total int64 }
	layers := map[string]layer{}
	var last time.Time
	for m, err := range res.JSONMessages(ctx) {
		if err != nil {
			return err
		}
		if m.Error != nil {
			return errors.New(m.Error.Message)
		}
		if m.ID != "" && m.Progress != nil && m.Progress.Total > 0 {
			layers[m.ID] = layer{m.Progress.Current, m.Progress.Total}
		} else if m.ID != "" && (m.Status == "Pull complete" || m.Status == "Already exists" || m.Status == "Download complete") {
			if l, ok := layers[m.ID]; ok {
				layers[m.ID] = layer{l.total, l.total}
			}
		}
		if progress != nil && time.Since(last) > 200*time.Millisecond {
			last = time.Now()
			var p PullProgress
			p.Status = m.Status
			for _, l := range layers {
				p.Current += l.cur
				p.Total += l.total
			}
			progress(p)
		}
	}
	return nil
}

// registryHost returns the registry part of an image reference ("docker.io" when absent).
func registryHost(ref string) string {
	first, _, ok := strings.Cut(ref, "/")
	if ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return first
	}
	return "https://index.docker.io/v1/"
}

// ContainerSpec is what kiosc creates.
type ContainerSpec struct {
	Name          string
	Image         string
	Cmd           []string // nil: the image's default
	Entrypoint    []string // nil: the image's default
	Env           []string
	Labels        map[string]string
	Binds         []string // read-only script mounts only
	ContainerPort int
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
}

// Create creates (but does not start) a container and returns its ID.
func (c *Client) Create(ctx context.Context, s ContainerSpec) (string, error) {
	c.count()
	port := network.MustParsePort(fmt.Sprintf("%d/tcp", s.ContainerPort))
	cfg := &container.Config{Image: s.Image, Env: s.Env, Labels: s.Labels, ExposedPorts: network.PortSet{port: {}}}
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
	}
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
	if s.PublishIP.IsValid() {
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
	ID         string
	Name       string
	Image      string
	Labels     map[string]string
	Status     string // created, running, paused, restarting, removing, exited, dead
	Running    bool
	Paused     bool
	ExitCode   int
	OOMKilled  bool
	Error      string
	StartedAt  time.Time
	FinishedAt time.Time
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
}

// Inspect returns the container's state; ErrNotFound when it does not exist.
func (c *Client) Inspect(ctx context.Context, id string) (*ContainerInfo, error) {
	c.count()
	res, err := c.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return nil, wrap(err)
	}
	r := res.Container
	info := &ContainerInfo{ID: r.ID, Name: strings.TrimPrefix(r.Name, "/"), IPs: map[string]string{}}
	if r.Config != nil {
		info.Image, info.Labels, info.Env, info.Cmd, info.Entrypoint = r.Config.Image, r.Config.Labels, r.Config.Env, r.Config.Cmd, r.Config.Entrypoint
	}
	if st := r.State; st != nil {
		info.Status, info.Running, info.Paused, info.ExitCode, info.OOMKilled, info.Error =
			string(st.Status), st.Running, st.Paused, st.ExitCode, st.OOMKilled, st.Error
		info.StartedAt = dockerTime(st.StartedAt)
		info.FinishedAt = dockerTime(st.FinishedAt)
	}
	if hc := r.HostConfig; hc != nil {
		info.Memory, info.NanoCPUs, info.SecurityOpt, info.Binds = hc.Memory, hc.NanoCPUs, hc.SecurityOpt, hc.Binds
		info.CapDrop, info.CapAdd = hc.CapDrop, hc.CapAdd
		if hc.PidsLimit != nil {
			info.PidsLimit = *hc.PidsLimit
		}
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

// LogLine is one line of a container's output.
type LogLine struct {
	Time   time.Time
	Stream string // stdout or stderr
	Line   string
}

// LogOptions selects which logs to read.
type LogOptions struct {
	Follow bool
	Since  time.Time // exclusive lower bound is the caller's job; Docker's is inclusive to the second fraction
	Tail   int       // 0: all
}

// Logs reads the container's (non-TTY) logs with timestamps, calling fn for every line, until the logs end (or, with
// Follow, the container stops or ctx ends).
func (c *Client) Logs(ctx context.Context, id string, o LogOptions, fn func(LogLine)) error {
	c.count()
	opts := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true, Follow: o.Follow}
	if !o.Since.IsZero() {
		opts.Since = strconv.FormatFloat(float64(o.Since.UnixNano())/1e9, 'f', 9, 64)
	}
	if o.Tail > 0 {
		opts.Tail = strconv.Itoa(o.Tail)
	}
	rc, err := c.cli.ContainerLogs(ctx, id, opts)
	if err != nil {
		return wrap(err)
	}
	defer rc.Close()
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	done := make(chan struct{}, 2)
	lines := make(chan LogLine, 64)
	scan := func(r io.Reader, stream string) {
		defer func() { done <- struct{}{} }()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			lines <- parseLogLine(sc.Text(), stream)
		}
		_, _ = io.Copy(io.Discard, r)
	}
	go scan(outR, "stdout")
	go scan(errR, "stderr")
	copyErr := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(outW, errW, rc)
		outW.Close()
		errW.Close()
		copyErr <- err
	}()
	for n := 0; n < 2; {
		select {
		case l := <-lines:
			fn(l)
		case <-done:
			n++
		}
	}
	for {
		select {
		case l := <-lines:
			fn(l)
		default:
			err := <-copyErr
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
	}
}

// parseLogLine splits Docker's "<RFC3339Nano timestamp> <line>".
func parseLogLine(s, stream string) LogLine {
	ts, rest, ok := strings.Cut(s, " ")
	if ok {
		if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
			return LogLine{Time: t.UTC(), Stream: stream, Line: strings.TrimRight(rest, "\r")}
		}
	}
	return LogLine{Time: time.Now().UTC(), Stream: stream, Line: strings.TrimRight(s, "\r")}
}

// NetworkSpec is a bridge network kiosc creates.
type NetworkSpec struct {
	Name   string
	Labels map[string]string
	// IDLabel ("key=value", one of Labels) finds the network again: only networks carrying it count as this one.
	IDLabel string
	// NoICC turns off traffic between the containers on the network (the bridge driver's enable_icc=false): each
	// reaches the host and the outside, never another container on the network.
	NoICC bool
}

// iccOption is the bridge driver's switch for traffic between the containers of one network.
const iccOption = "com.docker.network.bridge.enable_icc"

// EnsureNetwork returns the ID of the network, creating it when absent. Engines before API 1.44 accept several
// networks of one name (the client no longer asks them to refuse duplicates), so callers that race, in this process
// or another, may each create one; every caller then settles on the oldest and removes the younger ones.
func (c *Client) EnsureNetwork(ctx context.Context, s NetworkSpec) (string, error) {
	if id, err := c.findNetwork(ctx, s); err != nil || id != "" {
		return id, err
	}
	opts := client.NetworkCreateOptions{Driver: "bridge", Labels: s.Labels}
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

// Image is one local image.
type Image struct {
	ID         string
	Tags       []string
	Size       int64
	Created    time.Time
	Containers int64
}

// Images lists local images.
func (c *Client) Images(ctx context.Context) ([]Image, error) {
	c.count()
	res, err := c.cli.ImageList(ctx, client.ImageListOptions{})
	if err != nil {
		return nil, err
	}
	out := make([]Image, 0, len(res.Items))
	for _, im := range res.Items {
		out = append(out, Image{ID: im.ID, Tags: im.RepoTags, Size: im.Size, Created: time.Unix(im.Created, 0).UTC(), Containers: im.Containers})
	}
	return out, nil
}
