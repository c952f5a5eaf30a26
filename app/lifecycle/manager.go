// Package lifecycle runs kiosc's containers: it converges each container's desired state (what users ask for) with
// the state observed in Docker. Every container has its own worker so at most one operation runs on it at a time;
// Docker's event stream and a periodic full resync feed the workers, so changes made outside kiosc show within a
// second.
//
// Concurrent requests never run concurrently on one container and are never refused for being concurrent: each
// writes its desired state first, then wakes the worker. Identical requests coalesce (ten start requests give one
// start job and one Docker container); a stop, pause or delete cancels a start that is still pulling, creating or
// probing, and the latest desired state wins.
package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/routing"
	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

// Docker is what the manager needs from the engine (implemented by *docker.Client).
type Docker interface {
	ImageExists(ctx context.Context, ref string) (bool, error)
	Pull(ctx context.Context, ref string, auth *docker.RegistryAuth, progress func(docker.PullProgress)) error
	Create(ctx context.Context, s docker.ContainerSpec) (string, error)
	Start(ctx context.Context, id string) error
	Stop(ctx context.Context, id string, timeout time.Duration) error
	Pause(ctx context.Context, id string) error
	Unpause(ctx context.Context, id string) error
	Remove(ctx context.Context, id string) error
	Inspect(ctx context.Context, id string) (*docker.ContainerInfo, error)
	List(ctx context.Context, labels ...string) ([]docker.Summary, error)
	Events(ctx context.Context, since time.Time, labels ...string) (<-chan docker.Event, <-chan error)
	Logs(ctx context.Context, id string, o docker.LogOptions, fn func(docker.LogLine)) error
	EnsureNetwork(ctx context.Context, s docker.NetworkSpec) (string, error)
	RemoveNetworks(ctx context.Context, labelFilter string) error
	ConnectNetwork(ctx context.Context, networkID, containerID string) error
}

// Recorder stores a timeline event and publishes it.
type Recorder interface {
	Record(ctx context.Context, e *store.TimelineEvent)
}

// Network modes (spec section 5.6).
const (
	NetworkDefaultBridge  = "default-bridge"
	NetworkPrivateBridges = "private-bridges"
)

// Labels on every Docker object kiosc creates.
const (
	LabelManaged   = "kiosc.managed"
	LabelInstance  = "kiosc.instance"
	LabelContainer = "kiosc.container"
	LabelProject   = "kiosc.project"
	// LabelNetwork is set to NetworkApps on the network the containers of an instance share in default-bridge mode,
	// which belongs to no single container.
	LabelNetwork = "kiosc.network"
)

// NetworkApps is the value of LabelNetwork on the shared apps network.
const NetworkApps = "apps"

// AppsNetworkName is the name of the network the containers of an instance share in default-bridge mode. It holds
// the whole instance ID, so instances on one engine never pick the same name.
func AppsNetworkName(instanceID string) string { return "kiosc-apps-" + instanceID }

// Capabilities are the only Linux capabilities a container gets (everything else is dropped): Docker's default set
// without NET_RAW (raw packets: ARP and address spoofing on the shared bridge, hand-made packets to the host's
// loopback), MKNOD (device nodes), AUDIT_WRITE (the host's audit log), SETFCAP (file capabilities, which
// no-new-privileges makes useless anyway) and SYS_CHROOT. Images that start as root and then change users (su, sudo,
// gosu, su-exec, s6-overlay, chown of a home directory) need no more than these.
var Capabilities = []string{"CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
	"NET_BIND_SERVICE"}

// Options configure the manager (from the KIOSC_* settings).
type Options struct {
	InstanceID  string
	NetworkMode string
	HostBindIP  netip.Addr
	DataDir     string
	// Apps says where apps are served (their base path, public URL and probe path); the zero value is path mode on
	// BaseURL.
	Apps                  routing.Apps
	BaseURL               *url.URL
	ResyncInterval        time.Duration
	DefaultStartupTimeout time.Duration
	MaxIdle               time.Duration
	MaxLifetime           time.Duration
	RemoveStoppedAfter    time.Duration
	Limits                settings.Limits
	LogRetentionLines     int
	// SweepInterval is how often idle, lifetime and remove-stopped sweeps run (default 30 s).
	SweepInterval time.Duration
	// StopTimeout is how long a container gets to stop before it is killed (default 10 s).
	StopTimeout time.Duration
	// BackoffBase is the first automatic-restart delay (default 2 s), doubling up to 2 minutes.
	BackoffBase time.Duration
	// InterfaceAddrs lists this host's interface addresses (default net.InterfaceAddrs); in default-bridge mode the
	// proxy goes to a container's bridge address when one of them is on that network, else to the published port.
	InterfaceAddrs func() ([]net.Addr, error)
}

// Errors of requests.
var (
	ErrNotFound = store.ErrNotFound
	ErrConflict = errors.New("conflict")
)

// ValidationError lists invalid fields.
type ValidationError struct{ Fields map[string]string }

func (e *ValidationError) Error() string { return fmt.Sprintf("invalid fields: %v", e.Fields) }

// Manager owns every container's lifecycle.
type Manager struct {
	st   *store.Store
	dk   Docker
	keys *secrets.Keys
	bus  *events.Bus
	tl   Recorder
	log  *slog.Logger
	o    Options

	ctx    context.Context // lifetime of Run; workers stop with it
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	workers   map[string]*worker
	followers map[string]*follower

	oomSeen   sync.Map // container UUID → time of Docker's last oom event
	activity  sync.Map // container UUID → *atomic.Int64 (unix nanoseconds of the last proxied request)
	upstreams sync.Map // container UUID → Upstream, refreshed on every published change (the proxy asks per request)
	flushed   sync.Map // container UUID → int64 last flushed value
	selfID    string   // kiosc's own container ID when it runs in Docker
	down      atomic.Bool
	// netMu keeps this instance's starts from racing to create the shared apps network.
	netMu sync.Mutex
}

// worker serialises the operations of one container.
type worker struct {
	running    bool
	dirty      bool
	cancel     context.CancelFunc
	recreate   bool
	stopReason string
	notBefore  time.Time
	userStart  bool // a user asked for a start: automatic restarts count from zero again
	// removeStopped asks the next pass to remove the long-stopped Docker container (remove-stopped sweep).
	removeStopped bool
	jobs          []*store.Job // waiting for the next pass
	active        []*store.Job // taken by the pass that runs now
	failures      int
	intent        sync.Mutex
}

// New returns a manager; call Run to start reconciling.
func New(st *store.Store, dk Docker, keys *secrets.Keys, bus *events.Bus, tl Recorder, log *slog.Logger, o Options) *Manager {
	if o.SweepInterval <= 0 {
		o.SweepInterval = 30 * time.Second
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = 10 * time.Second
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = 2 * time.Second
	}
	if o.ResyncInterval <= 0 {
		o.ResyncInterval = 15 * time.Second
	}
	if o.DefaultStartupTimeout <= 0 {
		o.DefaultStartupTimeout = 5 * time.Minute
	}
	if o.NetworkMode == "" {
		o.NetworkMode = NetworkDefaultBridge
	}
	if o.InterfaceAddrs == nil {
		o.InterfaceAddrs = net.InterfaceAddrs
	}
	if !o.HostBindIP.IsValid() {
		o.HostBindIP = netip.MustParseAddr("127.0.0.1")
	}
	if o.Apps.Mode == "" {
		o.Apps = routing.Apps{Mode: routing.Path, Base: o.BaseURL}
	}
	o.Limits.AllowedRegistries = settings.NormalizeRegistries(o.Limits.AllowedRegistries)
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{st: st, dk: dk, keys: keys, bus: bus, tl: tl, log: log, o: o, ctx: ctx, cancel: cancel,
		workers: map[string]*worker{}, followers: map[string]*follower{}}
}

// Run reconciles until ctx ends: it adopts what Docker has, then follows Docker's events, resyncs periodically and
// runs the sweeps. It returns after every worker has stopped.
func (m *Manager) Run(ctx context.Context) error {
	go func() {
		<-ctx.Done()
		m.cancel()
	}()
	if n, err := m.st.FailUnfinishedJobs(m.ctx, "interrupted by a restart of kiosc; the reconciler takes over"); err != nil {
		return err
	} else if n > 0 {
		m.log.Info("marked unfinished jobs as failed", "jobs", n)
	}
	m.selfID = selfContainerID()
	if err := m.checkNetworkMode(m.ctx); err != nil {
		m.log.Error("network mode", "err", err)
	}
	ready := make(chan struct{})
	m.wg.Add(1)
	go func() { defer m.wg.Done(); m.watchEvents(ready) }()
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
	case <-m.ctx.Done():
	}
	m.Resync(m.ctx, true)
	resync := time.NewTicker(m.o.ResyncInterval)
	sweep := time.NewTicker(m.o.SweepInterval)
	defer resync.Stop()
	defer sweep.Stop()
	for {
		select {
		case <-m.ctx.Done():
			m.flushActivity(context.Background())
			m.wg.Wait()
			return nil
		case <-resync.C:
			m.Resync(m.ctx, false)
		case <-sweep.C:
			m.Sweep(m.ctx)
		}
	}
}

// labels returns the labels of the Docker objects of c.
func (m *Manager) labels(c *store.Container) map[string]string {
	return map[string]string{LabelManaged: "true", LabelInstance: m.o.InstanceID, LabelContainer: c.UUID, LabelProject: c.ProjectUUID}
}

// kick wakes the container's worker; preempt cancels an operation in progress (a start being pulled or probed).
func (m *Manager) kick(uuid string, preempt bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.kickLocked(uuid, preempt)
}

func (m *Manager) kickLocked(uuid string, preempt bool) {
	if m.ctx.Err() != nil {
		return
	}
	w := m.worker(uuid)
	w.dirty = true
	if preempt && w.cancel != nil {
		w.cancel()
	}
	if !w.running {
		w.running = true
		m.wg.Add(1)
		go m.runWorker(uuid, w)
	}
}

func (m *Manager) worker(uuid string) *worker {
	w := m.workers[uuid]
	if w == nil {
		w = &worker{}
		m.workers[uuid] = w
	}
	return w
}

// kickAfter wakes the worker after d.
func (m *Manager) kickAfter(uuid string, d time.Duration) {
	time.AfterFunc(d, func() { m.kick(uuid, false) })
}

func (m *Manager) runWorker(uuid string, w *worker) {
	defer m.wg.Done()
	for {
		m.mu.Lock()
		if !w.dirty || m.ctx.Err() != nil {
			w.running = false
			m.mu.Unlock()
			return
		}
		w.dirty = false
		ctx, cancel := context.WithCancel(m.ctx)
		w.cancel = cancel
		m.mu.Unlock()

		w.intent.Lock()
		m.mu.Lock()
		jobs := w.jobs
		w.jobs, w.active = nil, jobs
		m.mu.Unlock()
		p := &pass{m: m, w: w, uuid: uuid, jobs: jobs, loaded: w.intent.Unlock}
		p.run(ctx)
		cancel()

		m.mu.Lock()
		w.cancel, w.active = nil, nil
		m.mu.Unlock()
	}
}

// publish pushes the container's state to live clients and refreshes the proxy's view of it.
func (m *Manager) publish(c *store.Container) {
	m.upstreams.Store(c.UUID, upstreamOf(c))
	if m.bus == nil {
		return
	}
	m.bus.Publish(events.Event{Type: events.TypeContainerState, Data: m.View(c), ProjectUUID: c.ProjectUUID,
		Need: access.ViewProject, Key: c.UUID})
}

// timeline records a timeline event about c.
func (m *Manager) timeline(ctx context.Context, c *store.Container, user, name, status, desc string, extra map[string]any) {
	if m.tl == nil {
		return
	}
	if user == "" {
		user = store.SystemUser
	}
	if extra == nil {
		extra = map[string]any{}
	}
	extra["title"] = c.Title
	m.tl.Record(context.WithoutCancel(ctx), &store.TimelineEvent{ProjectUUID: c.ProjectUUID, Username: user, EventName: name,
		Description: desc, Status: status, ObjectType: "container", ObjectUUID: c.UUID, ExtraData: extra})
}

// event records one of kiosc's own per-container events (what it did and why).
func (m *Manager) event(ctx context.Context, uuid, level, user, format string, args ...any) {
	e := &store.ContainerEvent{ContainerUUID: uuid, Level: level, Username: user, Message: fmt.Sprintf(format, args...)}
	if err := m.st.CreateContainerEvent(context.WithoutCancel(ctx), e); err != nil {
		m.log.Error("container event not recorded", "container", uuid, "err", err)
	}
}

// Get returns a container record.
func (m *Manager) Get(ctx context.Context, uuid string) (*store.Container, error) {
	return m.st.GetContainer(ctx, uuid)
}

// Create validates in and stores a new container in project (nothing runs until it is started).
func (m *Manager) Create(ctx context.Context, user *store.User, project *store.Project, in *Input) (*store.Container, error) {
	if errs := in.Validate(true, m.o.Limits); len(errs) > 0 {
		return nil, &ValidationError{errs}
	}
	c := &store.Container{ProjectID: project.ID, ProjectUUID: project.UUID, Container: settings.Defaults(),
		CreatedBy: user.Username}
	if err := m.apply(c, in); err != nil {
		return nil, err
	}
	if err := m.st.CreateContainer(ctx, c); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &ValidationError{map[string]string{"title": "a container with this title exists in the project"}}
		}
		return nil, err
	}
	c, err := m.st.GetContainer(ctx, c.UUID)
	if err != nil {
		return nil, err
	}
	m.event(ctx, c.UUID, store.LevelInfo, user.Username, "created")
	m.timeline(ctx, c, user.Username, "container_create", store.StatusOK, "created container "+c.Title, map[string]any{"image": c.Image})
	m.publish(c)
	return c, nil
}

// Update applies a PATCH. A change to a container that runs marks it restart_pending.
func (m *Manager) Update(ctx context.Context, user *store.User, uuid string, in *Input) (*store.Container, error) {
	if errs := in.Validate(false, m.o.Limits); len(errs) > 0 {
		return nil, &ValidationError{errs}
	}
	c, err := m.st.GetContainer(ctx, uuid)
	if err != nil {
		return nil, err
	}
	if c.State == store.StateDeleting {
		return nil, fmt.Errorf("%w: the container is being deleted", ErrConflict)
	}
	before := m.View(c)
	if err := m.apply(c, in); err != nil {
		return nil, err
	}
	after := m.View(c)
	changed := changedFields(before, after)
	if in.SecretEnvironment != nil {
		changed = append(changed, "secret_environment")
	}
	if len(in.RegistryAuth) > 0 {
		changed = append(changed, "registry_auth")
	}
	if len(changed) > 0 && c.DockerID != "" && slices.Contains([]store.State{store.StateRunning, store.StateStarting,
		store.StatePaused, store.StatePulling, store.StateCreating}, c.State) {
		c.RestartPending = true
	}
	if err := m.st.UpdateContainerConfig(ctx, c); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &ValidationError{map[string]string{"title": "a container with this title exists in the project"}}
		}
		return nil, err
	}
	c, err = m.st.GetContainer(ctx, uuid)
	if err != nil {
		return nil, err
	}
	if len(changed) > 0 {
		m.event(ctx, uuid, store.LevelInfo, user.Username, "configuration changed: %s", strings.Join(changed, ", "))
		m.timeline(ctx, c, user.Username, "container_update", store.StatusOK, "updated container "+c.Title,
			map[string]any{"fields": changed})
	}
	m.publish(c)
	return c, nil
}

// changedFields names the fields whose rendered value differs (secrets are compared by the caller).
func changedFields(a, b View) []string {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	var ma, mb map[string]any
	_ = json.Unmarshal(ja, &ma)
	_ = json.Unmarshal(jb, &mb)
	var out []string
	for k, v := range mb {
		if k == "updated_at" || k == "secret_environment_keys" || k == "has_registry_auth" {
			continue
		}
		x, _ := json.Marshal(v)
		y, _ := json.Marshal(ma[k])
		if string(x) != string(y) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// apply copies the present fields of in onto c, encrypting secrets.
func (m *Manager) apply(c *store.Container, in *Input) error {
	in.Apply(&c.Container) // the settings; the rest is the container's own
	if in.Template != nil {
		c.Template = *in.Template
	}
	if in.SecretEnvironment != nil {
		secretsMap, err := m.secretEnv(c)
		if err != nil {
			return err
		}
		for k, v := range in.SecretEnvironment {
			if v == nil {
				delete(secretsMap, k)
			} else {
				secretsMap[k] = v.(string)
			}
		}
		c.SecretEnvKeys = slices.Sorted(func(yield func(string) bool) {
			for k := range secretsMap {
				if !yield(k) {
					return
				}
			}
		})
		c.SecretEnvEnc = ""
		if len(secretsMap) > 0 {
			b, _ := json.Marshal(secretsMap)
			c.SecretEnvEnc = m.keys.Encrypt(b)
		}
	}
	if len(in.RegistryAuth) > 0 {
		if string(in.RegistryAuth) == "null" {
			c.RegistryAuthEnc = ""
		} else {
			var ra docker.RegistryAuth
			if err := json.Unmarshal(in.RegistryAuth, &ra); err != nil {
				return &ValidationError{map[string]string{"registry_auth": "invalid"}}
			}
			b, _ := json.Marshal(ra)
			c.RegistryAuthEnc = m.keys.Encrypt(b)
		}
	}
	return nil
}

// secretEnv decrypts the secret environment of c.
func (m *Manager) secretEnv(c *store.Container) (map[string]string, error) {
	out := map[string]string{}
	if c.SecretEnvEnc == "" {
		return out, nil
	}
	b, err := m.keys.Decrypt(c.SecretEnvEnc)
	if err != nil {
		return nil, fmt.Errorf("secret environment of %s cannot be decrypted (was KIOSC_SECRET_KEY changed?): %w", c.UUID, err)
	}
	return out, json.Unmarshal(b, &out)
}

// registryAuth decrypts the registry credentials of c (nil when none).
func (m *Manager) registryAuth(c *store.Container) (*docker.RegistryAuth, error) {
	if c.RegistryAuthEnc == "" {
		return nil, nil
	}
	b, err := m.keys.Decrypt(c.RegistryAuthEnc)
	if err != nil {
		return nil, fmt.Errorf("registry credentials cannot be decrypted (was KIOSC_SECRET_KEY changed?): %w", err)
	}
	ra := &docker.RegistryAuth{}
	return ra, json.Unmarshal(b, ra)
}

// request records the intent of a user action (desired state and a job) before anything happens in Docker, then
// wakes the worker. Identical pending requests share one job.
func (m *Manager) request(ctx context.Context, user *store.User, uuid, action string, desired store.State, prep func(c *store.Container, w *worker) error,
	mark func(ctx context.Context) error) (*store.Container, error) {
	c, err := m.st.GetContainer(ctx, uuid)
	if err != nil {
		return nil, err
	}
	if c.State == store.StateDeleting && action != "delete" {
		return nil, fmt.Errorf("%w: the container is being deleted", ErrConflict)
	}
	m.mu.Lock()
	w := m.worker(uuid)
	m.mu.Unlock()
	// The intent (desired state and job) is written under the worker's intent lock, which a pass also holds while it
	// takes its jobs and reads the record: a pass sees both or neither.
	w.intent.Lock()
	defer w.intent.Unlock()
	if c, err = m.st.GetContainer(ctx, uuid); err != nil {
		return nil, err
	}
	m.mu.Lock()
	if prep != nil {
		if err := prep(c, w); err != nil {
			m.mu.Unlock()
			return nil, err
		}
	}
	coalesced := false
	for _, j := range w.jobs {
		coalesced = coalesced || j.Action == action
	}
	if action != "restart" && (desired == "" || desired == c.DesiredState) {
		for _, j := range w.active {
			coalesced = coalesced || j.Action == action
		}
	}
	m.mu.Unlock()
	if mark != nil {
		if err := mark(ctx); err != nil {
			return nil, err
		}
	}
	if desired != "" && desired != c.DesiredState {
		if err := m.st.UpdateContainerDesired(ctx, uuid, desired); err != nil {
			return nil, err
		}
		c.DesiredState = desired
	}
	if !coalesced {
		j := &store.Job{ContainerUUID: uuid, Action: action, Username: user.Username}
		if err := m.st.CreateJob(ctx, j); err != nil {
			return nil, err
		}
		m.mu.Lock()
		w.jobs = append(w.jobs, j)
		m.mu.Unlock()
		m.event(ctx, uuid, store.LevelInfo, user.Username, "%s requested", action)
		m.timeline(ctx, c, user.Username, "container_"+action, store.StatusOK, action+" container "+c.Title, nil)
	}
	if c, err = m.st.GetContainer(ctx, uuid); err != nil {
		return nil, err
	}
	preempt := action == "stop" || action == "delete" || action == "pause" || action == "restart"
	m.kick(uuid, preempt)
	m.publish(c)
	return c, nil
}

// Start asks for the container to run. Repeated requests while it starts are coalesced.
func (m *Manager) Start(ctx context.Context, user *store.User, uuid string) (*store.Container, error) {
	return m.request(ctx, user, uuid, "start", store.StateRunning, func(c *store.Container, w *worker) error {
		if c.DesiredState != store.StateRunning || !slices.Contains([]store.State{store.StateRunning, store.StateStarting,
			store.StatePulling, store.StateCreating}, c.State) {
			w.notBefore = time.Time{}
			w.userStart = true
		}
		return nil
	}, nil)
}

// Open is Start for guests (the lobby): idempotent, no job when the app is already up or on its way.
func (m *Manager) Open(ctx context.Context, user *store.User, uuid string) error {
	c, err := m.st.GetContainer(ctx, uuid)
	if err != nil {
		return err
	}
	if c.DesiredState == store.StateRunning && slices.Contains([]store.State{store.StateRunning, store.StateStarting,
		store.StatePulling, store.StateCreating}, c.State) {
		return nil
	}
	_, err = m.Start(ctx, user, uuid)
	return err
}

// Stop asks for the container to stop (reason user).
func (m *Manager) Stop(ctx context.Context, user *store.User, uuid string) (*store.Container, error) {
	return m.stopWithReason(ctx, user, uuid, "user")
}

func (m *Manager) stopWithReason(ctx context.Context, user *store.User, uuid, reason string) (*store.Container, error) {
	return m.request(ctx, user, uuid, "stop", store.StateStopped, func(c *store.Container, w *worker) error {
		w.stopReason = reason
		return nil
	}, nil)
}

// Restart recreates the container with its current configuration.
func (m *Manager) Restart(ctx context.Context, user *store.User, uuid string) (*store.Container, error) {
	return m.request(ctx, user, uuid, "restart", store.StateRunning, func(c *store.Container, w *worker) error {
		w.recreate = true
		w.notBefore = time.Time{}
		w.userStart = true
		return nil
	}, nil)
}

// Pause freezes a running container (409 unless it runs).
func (m *Manager) Pause(ctx context.Context, user *store.User, uuid string) (*store.Container, error) {
	return m.request(ctx, user, uuid, "pause", store.StatePaused, func(c *store.Container, w *worker) error {
		if c.State != store.StateRunning && c.State != store.StatePaused {
			return fmt.Errorf("%w: only a running container can be paused (it is %s)", ErrConflict, c.State)
		}
		return nil
	}, nil)
}

// Unpause resumes a paused container (409 unless it is paused).
func (m *Manager) Unpause(ctx context.Context, user *store.User, uuid string) (*store.Container, error) {
	return m.request(ctx, user, uuid, "unpause", store.StateRunning, func(c *store.Container, w *worker) error {
		if c.State != store.StatePaused && c.DesiredState != store.StatePaused {
			return fmt.Errorf("%w: the container is not paused (it is %s)", ErrConflict, c.State)
		}
		return nil
	}, nil)
}

// Delete removes the Docker container, its network and then the record. It answers at once with the container in
// state deleting; the record goes when Docker confirms.
func (m *Manager) Delete(ctx context.Context, user *store.User, uuid string) (*store.Container, error) {
	c, err := m.st.GetContainer(ctx, uuid)
	if err != nil {
		return nil, err
	}
	_ = c
	return m.request(ctx, user, uuid, "delete", "", nil, func(ctx context.Context) error {
		return m.st.MarkContainerDeleting(ctx, uuid)
	})
}

// View renders a container record with its proxy_url where this kiosc serves apps.
func (m *Manager) View(c *store.Container) View { return NewView(c, m.o.Apps) }

// Limits returns the site's rules for container configurations (maxima, defaults, allowed registries).
func (m *Manager) Limits() settings.Limits { return m.o.Limits }

// basePath returns the public path prefix of c (with trailing slash) and its public URL.
func (m *Manager) basePath(c *store.Container) (string, string) {
	return m.o.Apps.BasePath(c.UUID), m.o.Apps.PublicURL(c.UUID)
}

// scriptPath is where a "#!" command of c is written on the host.
func (m *Manager) scriptPath(uuid string) string {
	return filepath.Join(m.o.DataDir, "scripts", uuid)
}

// selfContainerID returns kiosc's own container ID when it runs inside Docker (empty otherwise).
func selfContainerID() string {
	if _, err := os.Stat("/.dockerenv"); err != nil {
		return ""
	}
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	return h
}

// WaitIdle waits until no worker has work pending or running (for benchmarks and tests).
func (m *Manager) WaitIdle(ctx context.Context) error {
	for {
		busy := false
		m.mu.Lock()
		for _, w := range m.workers {
			if w.running || w.dirty {
				busy = true
				break
			}
		}
		m.mu.Unlock()
		if !busy {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
