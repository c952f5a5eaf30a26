package usage_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/docker/dockertest"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/usage"
)

// records is one running container.
type records struct{ c *store.Container }

func (r records) GetContainer(context.Context, string) (*store.Container, error) { return r.c, nil }

// counting counts the Docker stats streams open at a time.
type counting struct {
	*docker.Client
	open chan int
}

func (c counting) Stats(ctx context.Context, id string, fn func(docker.Stat)) error {
	c.open <- 1
	defer func() { c.open <- -1 }()
	return c.Client.Stats(ctx, id, fn)
}

func TestHubFollowsAWatchedApp(t *testing.T) {
	dockertest.Client(t)
	addr, id := dockertest.RunTestApp(t, dockertest.RunOptions{})
	dk, err := docker.New()
	if err != nil {
		t.Fatal(err)
	}
	defer dk.Close()
	src := counting{Client: dk, open: make(chan int, 64)}
	const uuid = "0b5e7c1a-0000-4000-8000-0000000000a1"
	hub := usage.NewHub(src, records{&store.Container{UUID: uuid, ContainerState: store.ContainerState{State: store.StateRunning, DockerID: id}}},
		nil, slog.New(slog.NewTextHandler(io.Discard, nil)))

	if hub.Streams() != 0 {
		t.Fatal("a stream before anyone watches")
	}
	a, history := hub.Watch(uuid)
	if len(history) != 0 {
		t.Fatalf("history %v", history)
	}
	b, _ := hub.Watch(uuid)
	if n := <-src.open; n != 1 {
		t.Fatal("no stream opened")
	}
	// The app burns CPU: the samples show it (on a loaded test machine, not two full CPUs), and both watchers get
	// them from the one stream.
	resp, err := http.Get("http://" + addr + "/burn?d=15s&n=2")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	deadline := time.After(20 * time.Second)
	var busy usage.Sample
	for busy.CPUPercent < 10 {
		select {
		case busy = <-a.C:
		case <-deadline:
			t.Fatalf("no busy sample; last %+v", busy)
		}
	}
	if busy.MemoryBytes == 0 || busy.PIDs == 0 || busy.MemoryLimit == 0 {
		t.Errorf("sample %+v", busy)
	}
	select {
	case <-b.C:
	case <-time.After(5 * time.Second):
		t.Fatal("the second watcher got nothing")
	}
	if hub.Streams() != 1 {
		t.Fatalf("%d streams for one app", hub.Streams())
	}
	// A page that opens later gets the history.
	c, history := hub.Watch(uuid)
	if len(history) == 0 {
		t.Error("no history for a late watcher")
	}
	a.Close()
	c.Close()
	if hub.Streams() != 1 {
		t.Fatal("the stream closed while someone still watches")
	}
	b.Close()
	if hub.Streams() != 0 {
		t.Fatal("the stream stayed after the last watcher left")
	}
	select {
	case n := <-src.open:
		if n != -1 {
			t.Fatalf("a second stream opened")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the Docker stats stream was not closed")
	}
}
