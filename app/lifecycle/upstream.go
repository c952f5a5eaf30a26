package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/store"
)

// ErrNoContainer is returned by Upstream for a container that does not exist.
var ErrNoContainer = errors.New("container not found")

// Upstream is what the proxy needs to reach an app.
type Upstream struct {
	ContainerUUID string
	ProjectUUID   string
	State         store.State
	Addr          string // empty unless running
	StripPrefix   bool
	ContainerPath string
	// Access is the container's access level as configured (the proxy applies the site setting).
	Access string
}

// Upstream returns where the proxy reaches the container; the address comes only from kiosc's own Docker state.
// It is answered from memory, kept current by every state change, so the proxy can ask on every request.
func (m *Manager) Upstream(ctx context.Context, uuid string) (Upstream, error) {
	if v, ok := m.upstreams.Load(uuid); ok {
		return v.(Upstream), nil
	}
	c, err := m.st.GetContainer(ctx, uuid)
	if errors.Is(err, store.ErrNotFound) {
		return Upstream{}, ErrNoContainer
	}
	if err != nil {
		return Upstream{}, err
	}
	u := upstreamOf(c)
	m.upstreams.LoadOrStore(uuid, u)
	return u, nil
}

func upstreamOf(c *store.Container) Upstream {
	u := Upstream{ContainerUUID: c.UUID, ProjectUUID: c.ProjectUUID, State: c.State, StripPrefix: c.StripPrefix, ContainerPath: c.ContainerPath,
		Access: c.Access}
	if c.State == store.StateRunning {
		u.Addr = c.Upstream
	}
	return u
}

// upstream returns the address the proxy (and the probe) dial for c.
func (m *Manager) upstream(ctx context.Context, c *store.Container, info *docker.ContainerInfo) (string, error) {
	if c.NetworkMode == NetworkPrivateBridges || (c.NetworkMode == "" && m.o.NetworkMode == NetworkPrivateBridges) {
		name := networkName(c.UUID)
		ip := info.IPs[name]
		switch {
		case m.o.Swarm && info.HostPort > 0 && (ip == "" || !m.onLocalNetwork(ip)):
			// On Swarm the app runs on some node: kiosc goes to the port Docker published there, unless the app runs
			// on kiosc's own host, where its network's bridge is reached directly.
			port := info.HostPort
			c.HostPort = &port
			return net.JoinHostPort(orDefault(info.HostIP, "127.0.0.1"), strconv.Itoa(port)), nil
		case ip == "":
			return "", fmt.Errorf("the container has no address on network %s", name)
		}
		return net.JoinHostPort(ip, strconv.Itoa(c.ContainerPort)), nil
	}
	if info.HostPort == 0 {
		return "", errors.New("the container port is not published")
	}
	host := info.HostIP
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	port := info.HostPort
	c.HostPort = &port
	// When kiosc shares the host's network with the container's bridge, it goes to the container's address there: the
	// published port is served by Docker's userland proxy, an extra copy of every byte that costs about as much CPU
	// per request as a small app itself. The published port stays for setups where the bridge lives elsewhere
	// (rootless Docker, Docker Desktop's VM). Containers created before the shared apps network existed sit on
	// Docker's default bridge until their next start.
	for _, name := range []string{AppsNetworkName(m.o.InstanceID), defaultBridge} {
		if ip := info.IPs[name]; ip != "" && m.onLocalNetwork(ip) {
			return net.JoinHostPort(ip, strconv.Itoa(c.ContainerPort)), nil
		}
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// defaultBridge is the name of Docker's default network, where earlier versions of kiosc put containers.
const defaultBridge = "bridge"

// onLocalNetwork reports whether kiosc reaches ip directly on one of this host's networks.
func (m *Manager) onLocalNetwork(ip string) bool {
	ifaddrs, err := m.o.InterfaceAddrs()
	if err != nil {
		m.log.Warn("listing network interfaces", "err", err)
		return false
	}
	return OnLocalNetwork(ifaddrs, ip)
}

// OnLocalNetwork reports whether ip lies on a network one of the (non-loopback) interface addresses is on, i.e.
// whether it is reached without a router or Docker's port publishing.
func OnLocalNetwork(ifaddrs []net.Addr, ip string) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	for _, a := range ifaddrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.IsLoopback() {
			continue
		}
		if pfx, err := netip.ParsePrefix(n.String()); err == nil && pfx.Contains(addr) {
			return true
		}
	}
	return false
}
