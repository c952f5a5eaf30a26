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
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
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
	// Swarm: containers are Docker Swarm services (KIOSC_RUNTIME=swarm); each has a network of its own
	// (private-bridges) and is reached on the port published on its node.
	Swarm      bool
	HostBindIP netip.Addr
	DataDir    string
	// Apps says where apps are served (their base path, public URL and probe path); the zero value is path mode on
	// BaseURL.
	Apps                  routing.Apps
	BaseURL               *url.URL
	ResyncInterval        time.Duration
	DefaultStartupTimeout time.Duration
	MaxIdle               time.Duration
	MaxLifetime           time.Duration
	RemoveStoppedAfter    time.Duration
	// RemoveVolumesAfter is how long the volumes of a deleted container are kept (0: until removed on request).
	RemoveVolumesAfter time.Duration
	Limits             settings.Limits
	// MaxReserved caps what active apps reserve together by their limits (KIOSC_MAX_RESERVED).
	MaxReserved       settings.ReserveCap
	LogRetentionLines int
	// SweepInterval is how often idle, lifetime and remove-stopped sweeps run (default 30 s).
	SweepInterval time.Duration
	// StopTimeout is how long a container gets to stop before it is killed (default 10 s).
	StopTimeout time.Duration
	// BackoffBase is the first automatic-restart delay (default 2 s), doubling up to 2 minutes.
	BackoffBase time.Duration
	// DockerStopGrace is how long the decision on an exit that followed a SIGTERM from outside kiosc waits to learn
	// whether Docker is going away (default 15 s; see outage.go).
	DockerStopGrace time.Duration
	// InterfaceAddrs lists this host's interface addresses (default net.InterfaceAddrs); in default-bridge mode the
	// proxy goes to a container's bridge address when one of them is on that network, else to the published port.
	InterfaceAddrs func() ([]net.Addr, error)
	// Sharing returns the site's sharing setting (which access levels containers may choose); nil allows neither
	// link nor public access.
	Sharing func() settings.Sharing
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
	// created is when New ran: jobs created before it were left unfinished by an earlier process.
	created time.Time

	mu        sync.Mutex
	workers   map[string]*worker
	followers map[string]*follower

	oomSeen   sync.Map // Docker container ID → time of Docker's oom event for it (see oom.go)
	dies      sync.Map // Docker container ID → dieEvent not yet seen by a pass (see exits.go)
	sigterms  sync.Map // Docker container ID → time Docker sent it SIGTERM (see outage.go)
	outage    outages
	activity  sync.Map // container UUID → *atomic.Int64 (unix nanoseconds of the last proxied request)
	upstreams sync.Map // container UUID → Upstream, refreshed on every published change (the proxy asks per request)
	flushed   sync.Map // container UUID → int64 last flushed value
	selfID    string   // kiosc's own container ID when it runs in Docker
	down      atomic.Bool
	// netMu keeps this instance's starts from racing to create the shared apps network.
	netMu sync.Mutex
	// reserve holds the capacity checks of starts in progress (KIOSC_MAX_RESERVED).
	reserve reservations
	// helpers holds the names of the volume helper containers in use (the resync removes the others).
	helpers       sync.Map
	helperImageMu sync.Mutex
	// sizesBusy is set while the volume sizes are measured; sizesAt is when they were last (unix nanoseconds).
	sizesBusy atomic.Bool
	sizesAt   atomic.Int64
	// volumesFailed holds when the removal of a volume (by Docker name) last failed.
	volumesFailed sync.Map
	// checking: a scheduled check-updates runs.
	checking atomic.Bool
	// sweptAt is when the last sweep ran (unix nanoseconds; 0 before the first).
	sweptAt atomic.Int64
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
	if o.DockerStopGrace <= 0 {
		o.DockerStopGrace = dockerStopGrace
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
	return &Manager{st: st, dk: dk, keys: keys, bus: bus, tl: tl, log: log, o: o, ctx: ctx, cancel: cancel, created: time.Now(),
		workers: map[string]*worker{}, followers: map[string]*follower{}}
}

// Run reconciles until ctx ends: it adopts what Docker has, then follows Docker's events, resyncs periodically and
// runs the sweeps. It returns after every worker has stopped.
func (m *Manager) Run(ctx context.Context) error {
	go func() {
		<-ctx.Done()
		m.cancel()
	}()
	// Requests may arrive before Run (the server starts serving first); their jobs are this process's own.
	if n, err := m.st.FailUnfinishedJobs(m.ctx, "interrupted by a restart of kiosc; the reconciler takes over", m.created); err != nil {
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

// View renders a container record with its proxy_url where this kiosc serves apps.
func (m *Manager) View(c *store.Container) View { return NewView(c, m.o.Apps, m.sharing()) }

// sharing returns the site's sharing setting now (nothing allowed without Options.Sharing).
func (m *Manager) sharing() settings.Sharing {
	if m.o.Sharing == nil {
		return settings.Sharing{}
	}
	return m.o.Sharing()
}

// Limits returns the site's rules for container configurations (maxima, defaults, allowed registries, and the
// access levels the site allows now).
func (m *Manager) Limits() settings.Limits {
	lim := m.o.Limits
	lim.Sharing = m.sharing()
	return lim
}

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

// Republish pushes a container to live clients again, e.g. after the site setting changed the access level in effect.
func (m *Manager) Republish(c *store.Container) { m.publish(c) }
