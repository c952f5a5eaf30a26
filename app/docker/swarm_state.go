package docker

import (
	"context"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// A service's state, read from its newest task and shown as a container's.

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
