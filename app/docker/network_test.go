package docker_test

import (
	"context"
	"sync"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/google/uuid"
	"github.com/moby/moby/client"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/docker/dockertest"
)

// networksNamed lists the networks carrying label with this name.
func networksNamed(t *testing.T, cli *client.Client, label, name string) []string {
	t.Helper()
	res, err := cli.NetworkList(context.Background(), client.NetworkListOptions{Filters: make(client.Filters).Add("label", label)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, n := range res.Items {
		if n.Name == name {
			ids = append(ids, n.ID)
		}
	}
	return ids
}

func TestEnsureNetworkConcurrentAndIsolated(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	dk, err := docker.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dk.Close() })
	ctx := context.Background()
	value := uuid.NewString()
	label := "kiosc.test.case=" + value
	dockertest.Cleanup(t, label)
	spec := docker.NetworkSpec{Name: "kiosc-test-" + value, Labels: map[string]string{dockertest.TestLabel: "true",
		"kiosc.test.case": value}, IDLabel: label, NoICC: true}

	// Starts that race create one network between them and all get its ID.
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			id, err := dk.EnsureNetwork(ctx, spec)
			if err != nil {
				t.Error(err)
			}
			ids[i] = id
		})
	}
	wg.Wait()
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Fatalf("racing callers got different networks: %v", ids)
		}
	}
	if got := networksNamed(t, cli, label, spec.Name); len(got) != 1 || got[0] != ids[0] {
		t.Fatalf("networks named %s: %v, want only %s", spec.Name, got, ids[0])
	}
	n, err := cli.NetworkInspect(ctx, ids[0], client.NetworkInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n.Network.Driver != "bridge" || n.Network.Options["com.docker.network.bridge.enable_icc"] != "false" {
		t.Errorf("driver %q, options %v", n.Network.Driver, n.Network.Options)
	}

	// A duplicate of the name (an engine before API 1.44 accepts one) is removed, and the oldest stays the answer.
	dup, err := cli.NetworkCreate(ctx, spec.Name, client.NetworkCreateOptions{Driver: "bridge", Labels: spec.Labels})
	switch {
	case cerrdefs.IsConflict(err):
		t.Log("the engine refuses duplicate network names")
	case err != nil:
		t.Fatal(err)
	default:
		id, err := dk.EnsureNetwork(ctx, spec)
		if err != nil || id != ids[0] {
			t.Errorf("with a duplicate: %s, %v; want %s", id, err, ids[0])
		}
		if got := networksNamed(t, cli, label, spec.Name); len(got) != 1 {
			t.Errorf("duplicate %s not removed: %v", dup.ID, got)
		}
	}
}
