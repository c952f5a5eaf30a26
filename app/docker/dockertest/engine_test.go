package dockertest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// hostInterfaces lists the host's interfaces with their addresses ("name addr addr ...").
func hostInterfaces(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("ip", "-br", "addr").Output()
	if err != nil {
		t.Fatal(err)
	}
	var ifs []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		// Name and addresses; the operational state of other tests' bridges comes and goes.
		ifs = append(ifs, strings.Join(append([]string{f[0]}, f[2:]...), " "))
	}
	return ifs
}

// engineInterfaces lists the host's interfaces that belong to the engine or use its addresses, and the shared
// engine's docker0 (other tests and sessions add and remove interfaces of their own meanwhile).
func engineInterfaces(t *testing.T, e *Engine) (ours []string, docker0 string) {
	t.Helper()
	prefix := fmt.Sprintf("10.%d.", e.octet)
	for _, i := range hostInterfaces(t) {
		switch {
		case strings.HasPrefix(i, "docker0 "):
			docker0 = i
		case strings.HasPrefix(i, e.hostVeth), strings.Contains(i, " "+prefix):
			ours = append(ours, i)
		}
	}
	return ours, docker0
}

func TestPrivateEngine(t *testing.T) {
	sharedInfo, err := Client(t).Info(context.Background(), client.InfoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := PrivateEngine(t)
	ctx := context.Background()

	// On the host, only the host's end of the veth pair is the engine's; the shared engine's bridge is untouched.
	ours, docker0 := engineInterfaces(t, e)
	if len(ours) != 1 || !strings.HasPrefix(ours[0], e.hostVeth) || !strings.Contains(ours[0], fmt.Sprintf(" 10.%d.255.253/30", e.octet)) {
		t.Errorf("the engine's interfaces on the host: %q", ours)
	}
	info, err := e.Client.Info(ctx, client.InfoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Info.ID == sharedInfo.Info.ID || !strings.HasPrefix(info.Info.DockerRootDir, e.root) {
		t.Fatalf("not a private engine: id %s, root %s", info.Info.ID, info.Info.DockerRootDir)
	}

	// A container of the engine answers on its published port on the engine's address.
	port := network.MustParsePort(fmt.Sprintf("%d/tcp", AppPort))
	cr, err := e.Client.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config:     &container.Config{Image: e.Image, ExposedPorts: network.PortSet{port: {}}, Labels: map[string]string{TestLabel: "true"}},
		HostConfig: &container.HostConfig{PortBindings: network.PortMap{port: {{HostIP: e.Addr}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	reach := func() {
		t.Helper()
		if _, err := e.Client.ContainerStart(ctx, cr.ID, client.ContainerStartOptions{}); err != nil {
			t.Fatal(err)
		}
		ins, err := e.Client.ContainerInspect(ctx, cr.ID, client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b := ins.Container.NetworkSettings.Ports[port]
		if len(b) == 0 || b[0].HostIP != e.Addr {
			t.Fatalf("published %+v", b)
		}
		for ip := range strings.SplitSeq(ins.Container.NetworkSettings.Networks["bridge"].IPAddress.String(), ",") {
			if a, err := netip.ParseAddr(ip); err != nil || !netip.MustParsePrefix(fmt.Sprintf("10.%d.0.0/16", e.octet)).Contains(a) {
				t.Errorf("container address %s outside the engine's range", ip)
			}
		}
		url := "http://" + net.JoinHostPort(e.Addr.String(), b[0].HostPort) + "/health"
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, err := http.Get(url)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %v", url, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	reach()

	// A restart of the daemon: it stops the container; afterwards the container is still there and starts again.
	e.Stop(t)
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	if _, err := e.Client.Ping(pctx, client.PingOptions{}); err == nil {
		t.Error("the engine answers while stopped")
	}
	cancel()
	e.Start(t)
	ins, err := e.Client.ContainerInspect(ctx, cr.ID, client.ContainerInspectOptions{})
	if err != nil || ins.Container.State.Running {
		t.Fatalf("after the restart: %+v %v", ins.Container.State, err)
	}
	reach()
	if list, err := Client(t).ContainerList(ctx, client.ContainerListOptions{All: true,
		Filters: make(client.Filters).Add("id", cr.ID)}); err != nil || len(list.Items) != 0 {
		t.Errorf("the private engine's container is on the shared engine: %+v %v", list, err)
	}
	ns := e.Namespace
	if err := e.remove(); err != nil {
		t.Fatal(err)
	}
	if out, _ := exec.Command("ip", "netns", "list").Output(); strings.Contains(string(out), ns) {
		t.Errorf("namespace %s left behind", ns)
	}
	after, docker0After := engineInterfaces(t, e)
	if len(after) != 0 {
		t.Errorf("the engine's interfaces left on the host: %q", after)
	}
	if docker0After != docker0 {
		t.Errorf("the shared engine's docker0 changed: %q, then %q", docker0, docker0After)
	}
}
