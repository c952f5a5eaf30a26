package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/units"
)

// Reservation is what apps that run (or are on their way) reserve together by their limits: the CPUs and memory
// they may use, as the Docker container is created with them (site defaults applied, site maxima capped).
type Reservation struct {
	CPUs   float64
	Memory int64
	// Apps counts the apps; Unlimited those among them without a CPU or memory limit, which reserve nothing of it.
	Apps      int
	Unlimited int
}

// activeStates are the states in which an app holds its reservation.
var activeStates = []store.State{store.StatePulling, store.StateCreating, store.StateStarting, store.StateRunning,
	store.StatePaused, store.StateStopping, store.StateUnknown}

// hostInfoer is the engine's host information, which the real Docker client has (fakes in tests may not).
type hostInfoer interface {
	Info(ctx context.Context) (docker.HostInfo, error)
}

// reservations serialises the capacity check of starts, which run in parallel in their workers: a start counts as
// reserved from its check until it holds a state the store reports as active.
type reservations struct {
	mu       sync.Mutex
	starting map[string]*store.Container
	host     docker.HostInfo
	hostAt   time.Time
}

// EffectiveLimits returns the CPUs and memory a container gets: its own limits, else the site defaults, capped by
// the site maxima (0: none), exactly as its Docker container is created.
func (m *Manager) EffectiveLimits(c *store.Container) (cpus float64, memory int64) {
	lim := m.o.Limits
	return siteLimit(c.CPULimit, lim.DefaultCPUs, lim.MaxCPUs), siteLimit(c.MemoryLimit, lim.DefaultMemory, lim.MaxMemory)
}

// Reserved sums the reservations of this instance's active apps, except the container named by except.
func (m *Manager) Reserved(ctx context.Context, except string) (Reservation, error) {
	records, _, err := m.st.ListContainers(ctx, store.ContainerFilter{})
	if err != nil {
		return Reservation{}, err
	}
	m.reserve.mu.Lock()
	defer m.reserve.mu.Unlock()
	return m.reservedLocked(records, except), nil
}

func (m *Manager) reservedLocked(records []*store.Container, except string) Reservation {
	var r Reservation
	seen := map[string]bool{}
	add := func(c *store.Container) {
		if c.UUID == except || seen[c.UUID] {
			return
		}
		seen[c.UUID] = true
		cpus, memory := m.EffectiveLimits(c)
		r.Apps++
		r.CPUs += cpus
		r.Memory += memory
		if cpus <= 0 || memory <= 0 {
			r.Unlimited++
		}
	}
	for _, c := range records {
		if slices.Contains(activeStates, c.State) && c.DesiredState != store.StateStopped {
			add(c)
		}
	}
	for _, c := range m.reserve.starting {
		add(c)
	}
	return r
}

// HostInfo returns the Docker host's CPUs and memory, asked at most once a minute.
func (m *Manager) HostInfo(ctx context.Context) (docker.HostInfo, error) {
	hi, ok := m.dk.(hostInfoer)
	if !ok {
		return docker.HostInfo{}, fmt.Errorf("the Docker client does not report the host")
	}
	m.reserve.mu.Lock()
	if !m.reserve.hostAt.IsZero() && time.Since(m.reserve.hostAt) < time.Minute {
		h := m.reserve.host
		m.reserve.mu.Unlock()
		return h, nil
	}
	m.reserve.mu.Unlock()
	h, err := hi.Info(ctx)
	if err != nil {
		return h, err
	}
	m.reserve.mu.Lock()
	m.reserve.host, m.reserve.hostAt = h, time.Now()
	m.reserve.mu.Unlock()
	return h, nil
}

// ReserveCap returns the site's cap in CPUs and bytes (0: not capped) for the Docker host.
func (m *Manager) ReserveCap(ctx context.Context) (cpus float64, memory int64, err error) {
	if m.o.MaxReserved.IsZero() {
		return 0, 0, nil
	}
	h, err := m.HostInfo(ctx)
	if err != nil {
		return 0, 0, err
	}
	cpus, memory = m.o.MaxReserved.Resolve(h.CPUs, h.Memory)
	return cpus, memory, nil
}

// ErrCapacity is a start refused because the apps' reservations would pass KIOSC_MAX_RESERVED.
var ErrCapacity = errors.New("capacity exceeded")

// CapacityError is a start refused by KIOSC_MAX_RESERVED; its message says why in words. It is ErrCapacity.
type CapacityError struct{ msg string }

func (e *CapacityError) Error() string { return e.msg }

// SiteFull says why in words for visitors who may not see the figures of other apps.
func (e *CapacityError) SiteFull() string {
	return "The apps running now reserve all the capacity this site allows; this app can start when some of them stop. Try again in a few minutes."
}

// Is makes errors.Is(err, ErrCapacity) hold.
func (e *CapacityError) Is(target error) bool { return target == ErrCapacity }

// reserveFor checks that starting c keeps the apps' reservations within KIOSC_MAX_RESERVED and, if so, holds c's
// reservation until release is called (when the start has ended, one way or the other).
func (m *Manager) reserveFor(ctx context.Context, c *store.Container) (release func(), err error) {
	noop := func() {}
	maxCPUs, maxMemory, err := m.ReserveCap(ctx)
	if err != nil || maxCPUs <= 0 && maxMemory <= 0 {
		if err != nil {
			m.log.Warn("capacity: cannot read the Docker host's CPUs and memory; not checking KIOSC_MAX_RESERVED", "err", err)
		}
		return noop, nil
	}
	records, _, err := m.st.ListContainers(ctx, store.ContainerFilter{})
	if err != nil {
		return noop, err
	}
	m.reserve.mu.Lock()
	defer m.reserve.mu.Unlock()
	r := m.reservedLocked(records, c.UUID)
	cpus, memory := m.EffectiveLimits(c)
	switch {
	case maxCPUs > 0 && r.CPUs+cpus > maxCPUs+1e-9:
		return noop, &CapacityError{fmt.Sprintf("Not enough capacity: running apps reserve %.2f of the site's %.2f CPUs "+
			"(KIOSC_MAX_RESERVED), and this app needs %.2f more. Stop an app, or ask an administrator.", r.CPUs, maxCPUs, cpus)}
	case maxMemory > 0 && r.Memory+memory > maxMemory:
		return noop, &CapacityError{fmt.Sprintf("Not enough capacity: running apps reserve %s of the site's %s of memory "+
			"(KIOSC_MAX_RESERVED), and this app needs %s more. Stop an app, or ask an administrator.",
			units.Bytes(r.Memory).String(), units.Bytes(maxMemory).String(), units.Bytes(memory).String())}
	}
	if m.reserve.starting == nil {
		m.reserve.starting = map[string]*store.Container{}
	}
	m.reserve.starting[c.UUID] = c
	return func() {
		m.reserve.mu.Lock()
		delete(m.reserve.starting, c.UUID)
		m.reserve.mu.Unlock()
	}, nil
}

// CheckCapacity tells a caller about to start c whether KIOSC_MAX_RESERVED allows it (nil when it does), so that a
// refusal reaches the user at once; the start itself checks again.
func (m *Manager) CheckCapacity(ctx context.Context, uuid string) error {
	c, err := m.st.GetContainer(ctx, uuid)
	if err != nil {
		return err
	}
	if slices.Contains(activeStates, c.State) && c.DesiredState != store.StateStopped {
		return nil // it holds its reservation already
	}
	release, err := m.reserveFor(ctx, c)
	release()
	return err
}

// CapacityReport is how full the Docker host is: what it has, what active apps reserve by their limits, the site's
// cap, and what they use right now.
type CapacityReport struct {
	Host     docker.HostInfo
	Reserved Reservation
	// CapCPUs and CapMemory are KIOSC_MAX_RESERVED for this host (0: none); CapText is the setting as written.
	CapCPUs   float64
	CapMemory int64
	CapText   string
	// UsedCPUPercent sums the apps' CPU use (100 = one CPU busy); UsedMemory their memory without page cache.
	UsedCPUPercent float64
	UsedMemory     int64
	Apps           []AppUsage
	// Partial names apps whose usage could not be read (they are counted as using nothing).
	Partial []string
}

// AppUsage is one active app's reservation and use.
type AppUsage struct {
	UUID, Title, Project string
	State                store.State
	CPUs                 float64 // reserved (limit), 0: none
	Memory               int64
	CPUPercent           float64
	MemoryUsed           int64
}

// statReader reads one usage sample of a Docker container, which the real client can.
type statReader interface {
	StatOnce(ctx context.Context, id string, withCPU bool) (docker.Stat, error)
}

// Capacity measures the host: its size from Docker, the reservations from the store, and each active app's use
// from one Docker stats sample (about a second, read for all apps at once).
func (m *Manager) Capacity(ctx context.Context) (CapacityReport, error) {
	var r CapacityReport
	h, err := m.HostInfo(ctx)
	if err != nil {
		return r, err
	}
	r.Host = h
	r.CapCPUs, r.CapMemory = m.o.MaxReserved.Resolve(h.CPUs, h.Memory)
	r.CapText = m.o.MaxReserved.String()
	records, _, err := m.st.ListContainers(ctx, store.ContainerFilter{})
	if err != nil {
		return r, err
	}
	m.reserve.mu.Lock()
	r.Reserved = m.reservedLocked(records, "")
	m.reserve.mu.Unlock()
	sr, _ := m.dk.(statReader)
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, c := range records {
		if !slices.Contains(activeStates, c.State) || c.DesiredState == store.StateStopped {
			continue
		}
		cpus, memory := m.EffectiveLimits(c)
		a := AppUsage{UUID: c.UUID, Title: c.Title, Project: c.ProjectUUID, State: c.State, CPUs: cpus, Memory: memory}
		i := len(r.Apps)
		r.Apps = append(r.Apps, a)
		if sr == nil || c.DockerID == "" {
			continue
		}
		wg.Add(1)
		go func(id, title string) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			s, err := sr.StatOnce(sctx, id, true)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				r.Partial = append(r.Partial, title)
				return
			}
			r.Apps[i].CPUPercent, r.Apps[i].MemoryUsed = s.CPUPercent, int64(s.MemoryBytes)
		}(c.DockerID, c.Title)
	}
	wg.Wait()
	for _, a := range r.Apps {
		r.UsedCPUPercent += a.CPUPercent
		r.UsedMemory += a.MemoryUsed
	}
	slices.Sort(r.Partial)
	return r, nil
}
