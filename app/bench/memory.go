package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/proxy"
	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

const (
	memoryContainers   = 200
	idleRSSTarget      = 60 << 20
	tunnelsAddedTarget = 16 << 20
)

// benchMemory runs the real `kiosc serve` as a subprocess on a data dir with 200 managed containers, each a real
// stopped Docker container labelled for this run's instance (which kiosc adopts at start), and measures its resident
// memory when idle and what 500 open websocket tunnels to one of the apps add to it.
func benchMemory(ctx context.Context) ([]row, error) {
	bin, binNote, done, err := kioscBinary(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	image, err := benchTestAppImage(ctx)
	if err != nil {
		return nil, err
	}
	dk, err := docker.New()
	if err != nil {
		return nil, err
	}
	defer dk.Close()
	tmp, err := os.MkdirTemp("", "kiosc-bench-memory-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "data")
	instance := "bench-memory-" + uuid.NewString()
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		removeInstance(cctx, dk, instance)
	}()
	first, token, err := prepareManaged(ctx, dk, dir, instance, image)
	if err != nil {
		return nil, err
	}

	k, err := startKiosc(bin, dir, "KIOSC_SECRET_KEY="+benchSecretKey)
	if err != nil {
		return nil, err
	}
	defer k.stop()
	if _, err := k.waitFor("/readyz", time.Minute); err != nil {
		return nil, err
	}
	// Adoption of the containers happens after /readyz; idle means it is over.
	settled := k.settle(time.Minute)
	idle, err := medianRSS(k, 5)
	if err != nil {
		return nil, err
	}
	adopted, err := countAdopted(ctx, k.base, token)
	if err != nil {
		return nil, err
	}

	// 500 tunnels to one app, which kiosc starts.
	if err := apiCall(ctx, "POST", k.base+"/api/v1/containers/"+first+"/start", token, nil); err != nil {
		return nil, err
	}
	if err := waitRunning(ctx, k.base, token, first); err != nil {
		return nil, err
	}
	k.settle(30 * time.Second)
	before, err := medianRSS(k, 3)
	if err != nil {
		return nil, err
	}
	heapBefore, err := goMemory(ctx, k.base, token)
	if err != nil {
		return nil, err
	}
	conns := make([]net.Conn, 0, openTunnels)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range openTunnels {
		c, err := rawWebsocket(ctx, k.base, proxy.PathPrefix+first+"/ws", token)
		if err != nil {
			return nil, fmt.Errorf("tunnel %d: %w", len(conns)+1, err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		if err := wsPing(c); err != nil {
			return nil, fmt.Errorf("tunnel %d: %w", i, err)
		}
	}
	k.settle(30 * time.Second)
	after, err := medianRSS(k, 3)
	if err != nil {
		return nil, err
	}
	heapAfter, err := goMemory(ctx, k.base, token)
	if err != nil {
		return nil, err
	}
	added := after - min(before, after)
	return []row{
		{fmt.Sprintf("idle RSS, %d managed containers", memoryContainers), mib(idle),
			fmt.Sprintf("%d adopted (real stopped Docker containers of this run's instance); median of 5 samples once kiosc was idle (%.0f s after /readyz) [target < %d MiB: %s]",
				adopted, settled.Seconds(), idleRSSTarget>>20, verdict(idle < idleRSSTarget))},
		{fmt.Sprintf("RSS added by %d open websocket tunnels", openTunnels), mib(added),
			fmt.Sprintf("%s before, %s with the tunnels open, each used once; the client ends live in the benchmark process; Go heap and stacks in use (/metrics) %s → %s [target < %d MiB: %s]",
				mib(before), mib(after), mib(heapBefore), mib(heapAfter), tunnelsAddedTarget>>20, verdict(added < tunnelsAddedTarget))},
		{"method", "", binNote + " serve as a subprocess; RSS = VmRSS of that process"},
	}, nil
}

// benchSecretKey is the instance key the memory benchmark gives kiosc (the API token is created before it starts).
const benchSecretKey = "bench-memory-secret-key-0123456789abcdef"

// prepareManaged creates the database of a kiosc instance with memoryContainers containers, each with a stopped
// Docker container labelled for instance, and a superuser API token; it returns the first container's UUID.
func prepareManaged(ctx context.Context, dk *docker.Client, dir, instance, image string) (first, token string, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", err
	}
	st, err := openStore(ctx, dir)
	if err != nil {
		return "", "", err
	}
	defer st.Close()
	if _, err := st.CreateSettingIfAbsent(ctx, store.SettingInstanceID, instance); err != nil {
		return "", "", err
	}
	keys, err := secrets.New([]byte(benchSecretKey))
	if err != nil {
		return "", "", err
	}
	u := &store.User{Username: "bench", Name: "bench", IsActive: true, IsSuperuser: true, Source: store.SourceLocal}
	if err := st.CreateUser(ctx, u); err != nil {
		return "", "", err
	}
	authSvc := auth.NewService(st, keys, slog.New(slog.NewTextHandler(io.Discard, nil)), auth.Options{SessionLifetime: time.Hour})
	if _, token, err = authSvc.CreateToken(ctx, u, "bench", 0); err != nil {
		return "", "", err
	}
	proj := &store.Project{Title: "bench", Type: store.TypeProject, Source: "local"}
	if err := st.CreateProject(ctx, proj); err != nil {
		return "", "", err
	}
	uuids := make([]string, memoryContainers)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range memoryContainers {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			err := func() error {
				c := &store.Container{ProjectID: proj.ID, Container: settings.Container{Title: fmt.Sprintf("app %03d", i), Image: image,
					ContainerPort: 8080, StripPrefix: true, HeartbeatURL: "/health", PullPolicy: settings.PullIfMissing}}
				if err := st.CreateContainer(ctx, c); err != nil {
					return err
				}
				labels := map[string]string{lifecycle.LabelManaged: "true", lifecycle.LabelInstance: instance,
					lifecycle.LabelContainer: c.UUID, lifecycle.LabelProject: proj.UUID}
				id, err := dk.Create(ctx, docker.ContainerSpec{Name: fmt.Sprintf("kiosc-%s-bench", c.UUID[:8]), Image: image,
					Labels: labels, ContainerPort: 8080, Memory: 16 << 20})
				if err != nil {
					return err
				}
				s := c.ContainerState
				s.State, s.StateReason, s.DockerID, s.DockerState = store.StateStopped, "user", id, "created"
				if _, err := st.UpdateContainerState(ctx, c.UUID, s, store.StateStopped, false); err != nil {
					return err
				}
				uuids[i] = c.UUID
				return nil
			}()
			if err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return "", "", firstErr
	}
	return uuids[0], token, nil
}

// removeInstance removes every Docker container and network of a kiosc instance.
func removeInstance(ctx context.Context, dk *docker.Client, instance string) {
	if list, err := dk.List(ctx, lifecycle.LabelInstance+"="+instance); err == nil {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		for _, s := range list {
			wg.Add(1)
			sem <- struct{}{}
			go func() { defer wg.Done(); _ = dk.Remove(ctx, s.ID); <-sem }()
		}
		wg.Wait()
	}
	_ = dk.RemoveNetworks(ctx, lifecycle.LabelInstance+"="+instance)
}

// medianRSS samples the process's RSS n times a second apart.
func medianRSS(k *kioscServe, n int) (uint64, error) {
	var s []uint64
	for i := range n {
		if i > 0 {
			time.Sleep(time.Second)
		}
		r, err := k.rss()
		if err != nil {
			return 0, err
		}
		s = append(s, r)
	}
	slices.Sort(s)
	return s[len(s)/2], nil
}

// apiCall sends an API request with a token and decodes the JSON answer into out (if not nil).
func apiCall(ctx context.Context, method, u, token string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Token "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, u, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	if out != nil {
		return json.Unmarshal(body, out)
	}
	return nil
}

// countAdopted counts the containers that kiosc reports stopped with their Docker container (a resync that does not
// find one changes the state).
func countAdopted(ctx context.Context, base, token string) (int, error) {
	n := 0
	for offset := 0; ; {
		var page struct {
			Items []struct {
				State    string  `json:"state"`
				DockerID *string `json:"docker_id"`
			} `json:"items"`
		}
		if err := apiCall(ctx, "GET", fmt.Sprintf("%s/api/v1/containers?limit=100&offset=%d", base, offset), token, &page); err != nil {
			return 0, err
		}
		for _, it := range page.Items {
			if it.State == string(store.StateStopped) && it.DockerID != nil && *it.DockerID != "" {
				n++
			}
		}
		if len(page.Items) < 100 {
			return n, nil
		}
		offset += len(page.Items)
	}
}

// goMemory is the Go heap and stacks in use that kiosc reports on /metrics.
func goMemory(ctx context.Context, base, token string) (uint64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Token "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	var total float64
	found := 0
	for _, l := range strings.Split(string(body), "\n") {
		f := strings.Fields(l)
		if len(f) == 2 && (f[0] == "go_memstats_heap_inuse_bytes" || f[0] == "go_memstats_stack_inuse_bytes") {
			var v float64
			if _, err := fmt.Sscan(f[1], &v); err != nil {
				return 0, err
			}
			total += v
			found++
		}
	}
	if found != 2 {
		return 0, fmt.Errorf("/metrics: %d %s", resp.StatusCode, "no go_memstats_heap_inuse_bytes and go_memstats_stack_inuse_bytes")
	}
	return uint64(total), nil
}

// waitRunning waits until kiosc reports the container running.
func waitRunning(ctx context.Context, base, token, id string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		var c struct {
			State string `json:"state"`
		}
		if err := apiCall(ctx, "GET", base+"/api/v1/containers/"+id, token, &c); err != nil {
			return err
		}
		if c.State == string(store.StateRunning) {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("container %s did not start within 2 minutes", id)
}
