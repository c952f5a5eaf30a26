package docker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// Swarm runs kiosc's containers as Docker Swarm services on the swarm whose manager the engine is, behind the same
// methods as Client: the lifecycle sees one "container" per service, whose ID is the service's ID.
//
//   - Each container is one replicated service created with no replica; Start scales it to one, Stop back to none.
//     The restart policy is none: kiosc alone decides restarts, as it does on a single engine.
//   - Its state is that of the service's newest task: not yet running (scheduling, preparing, starting) is
//     StatusPending with the scheduler's words in PendingReason; running; or exited with the task's exit code.
//   - Its port is published in host mode on whichever node runs it (a free port Docker picks there), and kiosc
//     dials that node's address and the port the task reports.
//   - It sits on a bridge network of swarm scope with traffic between containers turned off (EnsureNetwork with
//     Scope "swarm"), so no app reaches another.
//   - Containers made only to reach the files of volumes (ContainerSpec.Local) stay plain containers of this engine.
//
// Everything else (images, volumes, stats, the inventory) is the embedded Client's, i.e. this engine's.
type Swarm struct {
	*Client
	o SwarmOptions

	mu sync.Mutex
	// nodes caches the nodes by ID (their address and name change rarely; an unknown ID refreshes the cache).
	nodes map[string]Node
	// exits keeps the last exit code seen of each service's task: scaling a service to no replica deletes its task.
	exits map[string]taskExit
	// auths keeps the registry credentials of the last pull of each image, for the nodes that pull it themselves.
	auths map[string]string
}

type taskExit struct {
	code int
	at   time.Time
	err  string
}

// SwarmOptions configure the Swarm runtime.
type SwarmOptions struct {
	// Constraints are placement constraints of every service (the site's default), e.g. node.labels.kiosc==apps.
	Constraints []string
}

// Docker's names of the Swarm states kiosc reports besides the container ones: a service whose task does not run
// yet (waiting for a node with room, pulling, starting), and one stopped by kiosc or whose task ended.
const (
	StatusPending = "pending"
	StatusExited  = "exited"
)

// Labels kiosc sets on its services besides the caller's.
const (
	// swarmStoppedLabel marks a service kiosc scaled to no replica (stopped, as opposed to created and never run).
	swarmStoppedLabel = "kiosc.swarm.stopped"
	// serviceIDLabel is set by Docker on the containers of a service's tasks.
	serviceIDLabel = "com.docker.swarm.service.id"
)

// NewSwarm returns the Swarm runtime on c's engine, which must be a manager of a swarm (see CheckSwarm).
func NewSwarm(c *Client, o SwarmOptions) *Swarm {
	return &Swarm{Client: c, o: o, nodes: map[string]Node{}, exits: map[string]taskExit{}, auths: map[string]string{}}
}

// CheckSwarm tells whether the engine is a manager of an active swarm, and why not.
func (s *Swarm) CheckSwarm(ctx context.Context) error {
	s.count()
	res, err := s.cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		return err
	}
	sw := res.Info.Swarm
	if sw.LocalNodeState != swarm.LocalNodeStateActive {
		return fmt.Errorf("the Docker engine is not part of a swarm (state %q): run `docker swarm init` first", sw.LocalNodeState)
	}
	if !sw.ControlAvailable {
		return errors.New("the Docker engine is a swarm worker: kiosc must talk to a manager node")
	}
	return nil
}

// Node is a node of the swarm.
type Node struct {
	ID       string
	Hostname string
	// Addr is the address the node is reached at (its advertised address).
	Addr         string
	Role         string // manager or worker
	State        string // ready, down, unknown, disconnected
	Availability string // active, pause, drain
	Labels       map[string]string
	NanoCPUs     int64
	MemoryBytes  int64
	// Self: the node of the engine kiosc talks to.
	Self bool
}

// Nodes lists the swarm's nodes.
func (s *Swarm) Nodes(ctx context.Context) ([]Node, error) {
	s.count()
	res, err := s.cli.NodeList(ctx, client.NodeListOptions{})
	if err != nil {
		return nil, err
	}
	self, _ := s.selfNode(ctx)
	out := make([]Node, 0, len(res.Items))
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range res.Items {
		node := Node{ID: n.ID, Hostname: n.Description.Hostname, Addr: n.Status.Addr, Role: string(n.Spec.Role),
			State: string(n.Status.State), Availability: string(n.Spec.Availability), Labels: n.Spec.Labels,
			NanoCPUs: n.Description.Resources.NanoCPUs, MemoryBytes: n.Description.Resources.MemoryBytes, Self: n.ID == self}
		s.nodes[n.ID] = node
		out = append(out, node)
	}
	slices.SortFunc(out, func(a, b Node) int { return strings.Compare(a.Hostname, b.Hostname) })
	return out, nil
}

// node returns a node by ID (from the cache, else a fresh list).
func (s *Swarm) node(ctx context.Context, id string) (Node, bool) {
	s.mu.Lock()
	n, ok := s.nodes[id]
	s.mu.Unlock()
	if ok || id == "" {
		return n, ok
	}
	if _, err := s.Nodes(ctx); err != nil {
		return Node{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok = s.nodes[id]
	return n, ok
}

// selfNode returns the ID of the engine's own node.
func (s *Swarm) selfNode(ctx context.Context) (string, error) {
	s.count()
	res, err := s.cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		return "", err
	}
	if res.Info.Swarm.NodeID == "" {
		return "", errors.New("the Docker engine is not part of a swarm")
	}
	return res.Info.Swarm.NodeID, nil
}

// Pull pulls the image on this engine and keeps the credentials for the nodes that pull it themselves.
func (s *Swarm) Pull(ctx context.Context, ref string, auth *RegistryAuth, progress func(PullProgress)) error {
	if auth != nil {
		s.mu.Lock()
		s.auths[ref] = encodeAuth(ref, auth)
		s.mu.Unlock()
	}
	return s.Client.Pull(ctx, ref, auth, progress)
}

// EnsureNetwork creates kiosc's networks with swarm scope, so every node makes its own bridge of them.
func (s *Swarm) EnsureNetwork(ctx context.Context, n NetworkSpec) (string, error) {
	n.Scope = "swarm"
	return s.Client.EnsureNetwork(ctx, n)
}

// ConnectNetwork is not available for networks of swarm scope (kiosc runs on a node and dials published ports).
func (s *Swarm) ConnectNetwork(context.Context, string, string) error {
	return errors.New("kiosc cannot join a network of swarm scope; it reaches apps on their published ports")
}

// Create creates the service of the container, with no replica yet (Start runs it); a spec marked Local is a plain
// container of this engine.
func (s *Swarm) Create(ctx context.Context, cs ContainerSpec) (string, error) {
	if cs.Local {
		return s.Client.Create(ctx, cs)
	}
	spec, err := s.serviceSpec(ctx, cs)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	auth := s.auths[cs.Image]
	s.mu.Unlock()
	s.count()
	res, err := s.cli.ServiceCreate(ctx, client.ServiceCreateOptions{Spec: spec, EncodedRegistryAuth: auth})
	if err != nil {
		return "", wrap(err)
	}
	return res.ID, nil
}

// serviceSpec converts a container spec into a service spec with no replica.
func (s *Swarm) serviceSpec(ctx context.Context, cs ContainerSpec) (swarm.ServiceSpec, error) {
	ctr := &swarm.ContainerSpec{Image: cs.Image, Labels: cs.Labels, Command: cs.Entrypoint, Args: cs.Cmd, Env: cs.Env,
		User: cs.User, ReadOnly: cs.ReadonlyRootfs, Mounts: mounts(cs.Mounts), CapabilityDrop: cs.CapDrop,
		CapabilityAdd: cs.CapAdd, Privileges: &swarm.Privileges{NoNewPrivileges: true}}
	for _, b := range cs.Binds {
		parts := strings.Split(b, ":")
		if len(parts) < 2 {
			return swarm.ServiceSpec{}, fmt.Errorf("bind %q: want source:target[:ro]", b)
		}
		ctr.Mounts = append(ctr.Mounts, mount.Mount{Type: mount.TypeBind, Source: parts[0], Target: parts[1],
			ReadOnly: len(parts) > 2 && parts[2] == "ro"})
	}
	for path := range cs.Tmpfs {
		ctr.Mounts = append(ctr.Mounts, mount.Mount{Type: mount.TypeTmpfs, Target: path, TmpfsOptions: &mount.TmpfsOptions{Mode: 0o1777}})
	}
	res := &swarm.ResourceRequirements{
		Limits:       &swarm.Limit{NanoCPUs: int64(cs.CPUs * 1e9), MemoryBytes: cs.Memory, Pids: cs.PidsLimit},
		Reservations: &swarm.Resources{NanoCPUs: int64(cs.CPUs * 1e9), MemoryBytes: cs.Memory},
	}
	constraints := slices.Concat(s.o.Constraints, cs.Placement)
	if len(cs.Mounts) > 0 || len(cs.Binds) > 0 {
		// Volumes and script files live on this engine's node (volumes of the local driver are the node's own).
		self, err := s.selfNode(ctx)
		if err != nil {
			return swarm.ServiceSpec{}, err
		}
		constraints = append(constraints, "node.id=="+self)
	}
	zero := uint64(0)
	spec := swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: cs.Name, Labels: cs.Labels},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: ctr,
			Resources:     res,
			RestartPolicy: &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionNone},
			Placement:     &swarm.Placement{Constraints: constraints},
			LogDriver:     &swarm.Driver{Name: "json-file"},
		},
		Mode:         swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &zero}},
		EndpointSpec: &swarm.EndpointSpec{Mode: swarm.ResolutionModeDNSRR},
	}
	if cs.Network != "" && cs.Network != "none" {
		spec.TaskTemplate.Networks = []swarm.NetworkAttachmentConfig{{Target: cs.Network}}
	}
	if cs.ContainerPort > 0 {
		spec.EndpointSpec.Ports = []swarm.PortConfig{{Protocol: network.TCP, TargetPort: uint32(cs.ContainerPort),
			PublishMode: swarm.PortConfigPublishModeHost}}
	}
	return spec, nil
}

// update changes a service's spec, retrying when another update came first.
func (s *Swarm) update(ctx context.Context, id string, change func(*swarm.ServiceSpec)) error {
	for attempt := 0; ; attempt++ {
		s.count()
		res, err := s.cli.ServiceInspect(ctx, id, client.ServiceInspectOptions{})
		if err != nil {
			return wrap(err)
		}
		spec := res.Service.Spec
		change(&spec)
		s.count()
		_, err = s.cli.ServiceUpdate(ctx, id, client.ServiceUpdateOptions{Version: res.Service.Version, Spec: spec})
		if err == nil || attempt >= 4 || !strings.Contains(err.Error(), "out of sequence") {
			return wrap(err)
		}
	}
}

func setReplicas(spec *swarm.ServiceSpec, n uint64) {
	spec.Mode.Replicated = &swarm.ReplicatedService{Replicas: &n}
}

// Start runs the service's one replica.
func (s *Swarm) Start(ctx context.Context, id string) error {
	if local, err := s.isLocal(ctx, id); local || err != nil {
		if err != nil {
			return err
		}
		return s.Client.Start(ctx, id)
	}
	return s.update(ctx, id, func(spec *swarm.ServiceSpec) {
		setReplicas(spec, 1)
		delete(spec.Labels, swarmStoppedLabel)
	})
}

// Stop scales the service to no replica (its task gets SIGTERM, then SIGKILL after timeout) and waits until the task
// has ended, keeping its exit code.
func (s *Swarm) Stop(ctx context.Context, id string, timeout time.Duration) error {
	if local, err := s.isLocal(ctx, id); local || err != nil {
		if err != nil {
			return err
		}
		return s.Client.Stop(ctx, id, timeout)
	}
	tasks, err := s.tasks(ctx, id)
	if err != nil {
		return err
	}
	cur := newest(tasks)
	s.noteExit(id, cur)
	err = s.update(ctx, id, func(spec *swarm.ServiceSpec) {
		setReplicas(spec, 0)
		spec.TaskTemplate.ContainerSpec.StopGracePeriod = &timeout
		if spec.Labels == nil {
			spec.Labels = map[string]string{}
		}
		spec.Labels[swarmStoppedLabel] = "true"
	})
	if err != nil || cur == nil {
		return err
	}
	deadline := time.Now().Add(timeout + 30*time.Second)
	for {
		tasks, err := s.tasks(ctx, id)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(tasks, func(t swarm.Task) bool { return t.ID == cur.ID })
		if i < 0 {
			return nil
		}
		if terminal(tasks[i].Status.State) {
			s.noteExit(id, &tasks[i])
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the task of service %s did not stop within %v", id, timeout+30*time.Second)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// noteExit remembers the exit of an ended task.
func (s *Swarm) noteExit(id string, t *swarm.Task) {
	if t == nil || !terminal(t.Status.State) {
		return
	}
	e := taskExit{at: t.Status.Timestamp, err: t.Status.Err}
	if cs := t.Status.ContainerStatus; cs != nil {
		e.code = cs.ExitCode
	}
	s.mu.Lock()
	s.exits[id] = e
	s.mu.Unlock()
}

// Pause freezes the task's container when it runs on this engine's node (Swarm itself cannot pause a task).
func (s *Swarm) Pause(ctx context.Context, id string) error {
	cid, err := s.localContainer(ctx, id)
	if err != nil {
		return err
	}
	return s.Client.Pause(ctx, cid)
}

// Unpause resumes a task's container paused by Pause.
func (s *Swarm) Unpause(ctx context.Context, id string) error {
	cid, err := s.localContainer(ctx, id)
	if err != nil {
		return err
	}
	return s.Client.Unpause(ctx, cid)
}

// localContainer returns the container of the service's running task if it runs on this engine's node.
func (s *Swarm) localContainer(ctx context.Context, id string) (string, error) {
	if local, err := s.isLocal(ctx, id); local || err != nil {
		return id, err
	}
	tasks, err := s.tasks(ctx, id)
	if err != nil {
		return "", err
	}
	t := newest(tasks)
	self, err := s.selfNode(ctx)
	if err != nil {
		return "", err
	}
	if t == nil || t.Status.ContainerStatus == nil || t.Status.ContainerStatus.ContainerID == "" || t.NodeID != self {
		return "", errors.New("pausing is only available for apps on the node kiosc talks to")
	}
	return t.Status.ContainerStatus.ContainerID, nil
}

// Remove removes the service (or a plain container) and waits until this engine's containers of it are gone, so
// that its volumes are free; a missing one is not an error.
func (s *Swarm) Remove(ctx context.Context, id string) error {
	if local, err := s.isLocal(ctx, id); err != nil || local {
		if err != nil {
			if IsNotFound(err) {
				return nil
			}
			return err
		}
		return s.Client.Remove(ctx, id)
	}
	s.count()
	_, err := s.cli.ServiceRemove(ctx, id, client.ServiceRemoveOptions{})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return err
	}
	s.mu.Lock()
	delete(s.exits, id)
	s.mu.Unlock()
	deadline := time.Now().Add(time.Minute)
	for {
		left, err := s.Client.List(ctx, serviceIDLabel+"="+id)
		if err != nil || len(left) == 0 || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// isLocal tells whether id is a plain container of this engine rather than a service (not found: neither).
func (s *Swarm) isLocal(ctx context.Context, id string) (bool, error) {
	s.count()
	_, err := s.cli.ServiceInspect(ctx, id, client.ServiceInspectOptions{})
	if err == nil {
		return false, nil
	}
	if !cerrdefs.IsNotFound(err) {
		return false, err
	}
	if _, err := s.Client.Inspect(ctx, id); err != nil {
		return false, err
	}
	return true, nil
}

// tasks lists the tasks of the services.
func (s *Swarm) tasks(ctx context.Context, ids ...string) ([]swarm.Task, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	s.count()
	res, err := s.cli.TaskList(ctx, client.TaskListOptions{Filters: make(client.Filters).Add("service", ids...)})
	if err != nil {
		return nil, err
	}
	return res.Items, nil
}

// newest returns the task created last (nil when there is none).
func newest(tasks []swarm.Task) *swarm.Task {
	var t *swarm.Task
	for i := range tasks {
		if t == nil || tasks[i].CreatedAt.After(t.CreatedAt) {
			t = &tasks[i]
		}
	}
	return t
}

// terminal tells whether a task in this state has ended for good.
func terminal(st swarm.TaskState) bool {
	switch st {
	case swarm.TaskStateComplete, swarm.TaskStateShutdown, swarm.TaskStateFailed, swarm.TaskStateRejected,
		swarm.TaskStateRemove, swarm.TaskStateOrphaned:
		return true
	}
	return false
}

// serviceStatus is the state kiosc reports for a service and its newest task.
func serviceStatus(svc *swarm.Service, t *swarm.Task) string {
	switch {
	case t == nil && svc.Spec.Labels[swarmStoppedLabel] != "":
		return StatusExited
	case t == nil && replicas(svc) > 0:
		// Started, and the orchestrator has not made its task yet.
		return StatusPending
	case t == nil:
		return StatusCreated
	case t.Status.State == swarm.TaskStateRunning:
		return StatusRunning
	case terminal(t.Status.State):
		return StatusExited
	default:
		return StatusPending
	}
}

// replicas is the number of replicas the service asks for.
func replicas(svc *swarm.Service) uint64 {
	if r := svc.Spec.Mode.Replicated; r != nil && r.Replicas != nil {
		return *r.Replicas
	}
	return 0
}

// pendingReason is what the scheduler or the node says about a task that does not run yet.
func pendingReason(t *swarm.Task) string {
	if t == nil {
		return "waiting for its task"
	}
	if t.Status.Err != "" {
		return t.Status.Err
	}
	return t.Status.Message
}

// Inspect returns the state of the service (or of a plain container) as a container's.
func (s *Swarm) Inspect(ctx context.Context, id string) (*ContainerInfo, error) {
	s.count()
	res, err := s.cli.ServiceInspect(ctx, id, client.ServiceInspectOptions{})
	if cerrdefs.IsNotFound(err) {
		return s.Client.Inspect(ctx, id)
	}
	if err != nil {
		return nil, err
	}
	svc := res.Service
	tasks, err := s.tasks(ctx, svc.ID)
	if err != nil {
		return nil, err
	}
	t := newest(tasks)
	spec := svc.Spec
	info := &ContainerInfo{ID: svc.ID, Name: spec.Name, Labels: spec.Labels, IPs: map[string]string{}, Status: serviceStatus(&svc, t)}
	if ctr := spec.TaskTemplate.ContainerSpec; ctr != nil {
		info.Image, info.Env, info.Cmd, info.Entrypoint, info.User = ctr.Image, ctr.Env, ctr.Args, ctr.Command, ctr.User
		info.CapDrop, info.CapAdd, info.ReadonlyRootfs = ctr.CapabilityDrop, ctr.CapabilityAdd, ctr.ReadOnly
		for _, m := range ctr.Mounts {
			switch m.Type {
			case mount.TypeVolume:
				info.Mounts = append(info.Mounts, MountInfo{Name: m.Source, Destination: m.Target, RW: !m.ReadOnly})
			case mount.TypeBind:
				b := m.Source + ":" + m.Target
				if m.ReadOnly {
					b += ":ro"
				}
				info.Binds = append(info.Binds, b)
			case mount.TypeTmpfs:
				if info.Tmpfs == nil {
					info.Tmpfs = map[string]string{}
				}
				info.Tmpfs[m.Target] = ""
			}
		}
		if ctr.Privileges != nil && ctr.Privileges.NoNewPrivileges {
			info.SecurityOpt = append(info.SecurityOpt, "no-new-privileges")
		}
	}
	if r := spec.TaskTemplate.Resources; r != nil && r.Limits != nil {
		info.Memory, info.NanoCPUs, info.PidsLimit = r.Limits.MemoryBytes, r.Limits.NanoCPUs, r.Limits.Pids
	}
	if p := spec.TaskTemplate.Placement; p != nil {
		info.Placement = p.Constraints
	}
	switch info.Status {
	case StatusPending:
		info.Pending, info.PendingReason = true, pendingReason(t)
	case StatusRunning:
		info.Running = true
		info.StartedAt = t.Status.Timestamp.UTC()
		for _, p := range t.Status.PortStatus.Ports {
			if p.PublishedPort > 0 && info.HostPort == 0 {
				info.HostPort = int(p.PublishedPort)
			}
		}
	case StatusExited:
		if t != nil {
			s.noteExit(svc.ID, t)
		}
		s.mu.Lock()
		e, ok := s.exits[svc.ID]
		s.mu.Unlock()
		if ok {
			info.ExitCode, info.Error, info.FinishedAt = e.code, e.err, e.at.UTC()
		}
	}
	if t == nil || t.NodeID == "" {
		return info, nil
	}
	node, ok := s.node(ctx, t.NodeID)
	if ok {
		info.Node, info.HostIP = node.Hostname, node.Addr
	}
	// The container itself when it is this engine's: its addresses, pause and OOM flags and image.
	if self, err := s.selfNode(ctx); err == nil && t.NodeID == self && t.Status.ContainerStatus != nil && t.Status.ContainerStatus.ContainerID != "" {
		if ci, err := s.Client.Inspect(ctx, t.Status.ContainerStatus.ContainerID); err == nil {
			info.IPs, info.ImageID, info.OOMKilled = ci.IPs, ci.ImageID, ci.OOMKilled
			info.SecurityOpt = ci.SecurityOpt
			switch {
			case ci.Paused && info.Running:
				info.Paused, info.Status = true, StatusPaused
			case info.Running && !ci.Running && !ci.FinishedAt.IsZero():
				// The container has exited and the node has not told the managers yet: the container says so first
				// (its die event may already have woken kiosc).
				info.Running, info.Status, info.HostPort = false, StatusExited, 0
				info.ExitCode, info.FinishedAt, info.Error = ci.ExitCode, ci.FinishedAt, ci.Error
			}
		}
	}
	return info, nil
}

// List returns kiosc's services (as containers in their state) matching all label filters, and the plain
// containers of this engine that match (not those of tasks).
func (s *Swarm) List(ctx context.Context, labels ...string) ([]Summary, error) {
	f := make(client.Filters)
	for _, l := range labels {
		f.Add("label", l)
	}
	s.count()
	res, err := s.cli.ServiceList(ctx, client.ServiceListOptions{Filters: f})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(res.Items))
	for _, svc := range res.Items {
		ids = append(ids, svc.ID)
	}
	tasks, err := s.tasks(ctx, ids...)
	if err != nil {
		return nil, err
	}
	byService := map[string][]swarm.Task{}
	for _, t := range tasks {
		byService[t.ServiceID] = append(byService[t.ServiceID], t)
	}
	out := make([]Summary, 0, len(res.Items))
	for i := range res.Items {
		svc := &res.Items[i]
		t := newest(byService[svc.ID])
		sum := Summary{ID: svc.ID, Name: svc.Spec.Name, State: serviceStatus(svc, t), Labels: svc.Spec.Labels}
		if ctr := svc.Spec.TaskTemplate.ContainerSpec; ctr != nil {
			sum.Image = ctr.Image
		}
		if t != nil {
			if n, ok := s.node(ctx, t.NodeID); ok {
				sum.Node = n.Hostname
			}
		}
		out = append(out, sum)
	}
	plain, err := s.Client.List(ctx, labels...)
	if err != nil {
		return nil, err
	}
	for _, p := range plain {
		if p.Labels[serviceIDLabel] == "" {
			out = append(out, p)
		}
	}
	return out, nil
}

// Logs reads the service's logs (of every task it had that the nodes still keep).
func (s *Swarm) Logs(ctx context.Context, id string, o LogOptions, fn func(LogLine)) error {
	if local, err := s.isLocal(ctx, id); local || err != nil {
		if err != nil {
			return err
		}
		return s.Client.Logs(ctx, id, o, fn)
	}
	s.count()
	opts := client.ServiceLogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true, Follow: o.Follow}
	if !o.Since.IsZero() {
		opts.Since = strconv.FormatFloat(float64(o.Since.UnixNano())/1e9, 'f', 9, 64)
	}
	if o.Tail > 0 {
		opts.Tail = strconv.Itoa(o.Tail)
	}
	rc, err := s.cli.ServiceLogs(ctx, id, opts)
	if err != nil {
		return wrap(err)
	}
	return readLogs(ctx, rc, fn)
}

// swarmPoll is how often Events looks at the tasks of kiosc's services (Docker sends no events for tasks, and the
// container events of other nodes do not reach this engine).
const swarmPoll = time.Second

// Events streams this engine's container events of kiosc's tasks, named by their service, and an "update" event
// whenever the state of a service's newest task changes on any node (seen by polling the tasks).
func (s *Swarm) Events(ctx context.Context, since time.Time, labels ...string) (<-chan Event, <-chan error) {
	ctx, cancel := context.WithCancel(ctx)
	in, inErr := s.Client.Events(ctx, since, labels...)
	out := make(chan Event, 64)
	errc := make(chan error, 1)
	send := func(e Event) bool {
		select {
		case out <- e:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		seen := map[string]string{}
		first := true
		tick := time.NewTicker(swarmPoll)
		defer tick.Stop()
		for {
			if list, err := s.List(ctx, labels...); err == nil {
				now := map[string]string{}
				for _, sum := range list {
					now[sum.ID] = sum.State + "/" + sum.Node
					if !first && seen[sum.ID] != now[sum.ID] {
						if !send(Event{ContainerID: sum.ID, Action: "update", Labels: sum.Labels, Time: time.Now().UTC()}) {
							return
						}
					}
				}
				seen, first = now, false
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	go func() {
		defer close(out)
		defer wg.Wait()
		defer cancel()
		for e := range in {
			if sid := e.Labels[serviceIDLabel]; sid != "" {
				e.ContainerID = sid
			}
			if !send(e) {
				break
			}
		}
		errc <- <-inErr
	}()
	return out, errc
}

// Info returns the swarm's capacity: the CPUs and memory of its nodes that are ready and take tasks.
func (s *Swarm) Info(ctx context.Context) (HostInfo, error) {
	own, err := s.Client.Info(ctx)
	if err != nil {
		return own, err
	}
	nodes, err := s.Nodes(ctx)
	if err != nil {
		return own, err
	}
	h := HostInfo{Version: own.Version}
	n := 0
	for _, node := range nodes {
		if node.State != string(swarm.NodeStateReady) || node.Availability != string(swarm.NodeAvailabilityActive) {
			continue
		}
		n++
		h.CPUs += int(node.NanoCPUs / 1e9)
		h.Memory += node.MemoryBytes
	}
	h.Name = fmt.Sprintf("swarm of %d node(s) (manager %s)", n, own.Name)
	return h, nil
}

// Stats streams the usage of the service's task when it runs on this engine's node.
func (s *Swarm) Stats(ctx context.Context, id string, fn func(Stat)) error {
	cid, err := s.localContainer(ctx, id)
	if err != nil {
		return err
	}
	return s.Client.Stats(ctx, cid, fn)
}

// StatOnce reads one usage sample of the service's task when it runs on this engine's node.
func (s *Swarm) StatOnce(ctx context.Context, id string, withCPU bool) (Stat, error) {
	cid, err := s.localContainer(ctx, id)
	if err != nil {
		return Stat{}, err
	}
	return s.Client.StatOnce(ctx, cid, withCPU)
}
