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
