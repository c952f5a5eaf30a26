package usage_test

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/docker/dockertest"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/usage"
)

type lister []*store.Container

func (l lister) ListContainers(context.Context, store.ContainerFilter) ([]*store.Container, int, error) {
	return l, len(l), nil
}

func TestCollectorExportsRunningApps(t *testing.T) {
	dockertest.Client(t)
	_, id := dockertest.RunTestApp(t, dockertest.RunOptions{Memory: 64 << 20})
	dk, err := docker.New()
	if err != nil {
		t.Fatal(err)
	}
	defer dk.Close()
	c := &store.Container{UUID: "0b5e7c1a-0000-4000-8000-0000000000b2", ProjectUUID: "0b5e7c1a-0000-4000-8000-0000000000b3",
		ContainerState: store.ContainerState{State: store.StateRunning, DockerID: id}}
	c.Title = "metrics app"
	reg := prometheus.NewRegistry()
	reg.MustRegister(usage.NewCollector(dk, lister{c}))
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 6 {
		t.Fatalf("%d metrics, %v", n, err)
	}
	want := `
# HELP kiosc_container_memory_limit_bytes Memory limit of the app's container (the host's memory without one).
# TYPE kiosc_container_memory_limit_bytes gauge
kiosc_container_memory_limit_bytes{container="0b5e7c1a-0000-4000-8000-0000000000b2",project="0b5e7c1a-0000-4000-8000-0000000000b3",title="metrics app"} 6.7108864e+07
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "kiosc_container_memory_limit_bytes"); err != nil {
		t.Fatal(err)
	}
}
