package docker_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/docker/dockertest"
)

// danglingImage builds an untagged image on top of the test app image and returns its ID.
func danglingImage(t *testing.T, cli *client.Client, base, label string) string {
	t.Helper()
	ctx := context.Background()
	df := fmt.Sprintf("FROM %s\nLABEL %s=true kiosc.test.case=%q\n", base, dockertest.TestLabel, label)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(df)), ModTime: time.Unix(0, 0)})
	_, _ = tw.Write([]byte(df))
	_ = tw.Close()
	res, err := cli.ImageBuild(ctx, &buf, client.ImageBuildOptions{Dockerfile: "Dockerfile", Remove: true, ForceRemove: true,
		Version: build.BuilderV1})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	list, err := cli.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("label", "kiosc.test.case="+label)})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("built image not found: %v %+v", err, list.Items)
	}
	id := list.Items[0].ID
	t.Cleanup(func() { _, _ = cli.ImageRemove(context.Background(), id, client.ImageRemoveOptions{}) })
	return id
}

func TestInventory(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	image := dockertest.TestAppImage(t)
	dk, err := docker.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dk.Close() })
	ctx := context.Background()
	case_ := "inventory-" + uuid.NewString()[:8]
	labels := map[string]string{dockertest.TestLabel: "true", "kiosc.test.case": case_}
	dockertest.Cleanup(t, "kiosc.test.case="+case_)

	netName := "kiosc-test-" + case_
	n, err := cli.NetworkCreate(ctx, netName, client.NetworkCreateOptions{Driver: "bridge", Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	volName := "kiosc-test-" + case_
	if _, err := cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: volName, Labels: labels}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = cli.VolumeRemove(context.Background(), volName, client.VolumeRemoveOptions{Force: true})
	})
	cr, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "kiosc-test-" + case_,
		Config: &container.Config{Image: image, Labels: labels},
		HostConfig: &container.HostConfig{NetworkMode: container.NetworkMode(netName),
			Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: volName, Target: "/data"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.ContainerStart(ctx, cr.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	dangling := danglingImage(t, cli, image, case_)

	before := dk.Calls()
	inv, err := dk.Inventory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if calls := dk.Calls() - before; calls != 4 {
		t.Errorf("inventory made %d Docker calls, want 4 list calls", calls)
	}
	t.Run("container", func(t *testing.T) {
		i := slices.IndexFunc(inv.Containers, func(c docker.ContainerItem) bool { return c.ID == cr.ID })
		if i < 0 {
			t.Fatal("container missing from the inventory")
		}
		c := inv.Containers[i]
		if c.Name != "kiosc-test-"+case_ || c.State != "running" || c.Status == "" || c.Image != image || c.ImageID == "" ||
			c.Labels["kiosc.test.case"] != case_ || c.Created.IsZero() {
			t.Errorf("container %+v", c)
		}
		if !slices.Equal(c.Networks, []string{netName}) || !slices.Equal(c.NetworkIDs, []string{n.ID}) {
			t.Errorf("networks %v %v, want %s", c.Networks, c.NetworkIDs, netName)
		}
		if !slices.Equal(c.Volumes, []string{volName}) {
			t.Errorf("volumes %v, want %s", c.Volumes, volName)
		}
	})
	t.Run("network", func(t *testing.T) {
		i := slices.IndexFunc(inv.Networks, func(x docker.NetworkItem) bool { return x.ID == n.ID })
		if i < 0 || inv.Networks[i].Name != netName || inv.Networks[i].Driver != "bridge" || inv.Networks[i].Labels["kiosc.test.case"] != case_ {
			t.Errorf("network %s in %+v", netName, inv.Networks)
		}
	})
	t.Run("volume", func(t *testing.T) {
		i := slices.IndexFunc(inv.Volumes, func(x docker.VolumeItem) bool { return x.Name == volName })
		if i < 0 || inv.Volumes[i].Driver != "local" || inv.Volumes[i].Labels["kiosc.test.case"] != case_ {
			t.Errorf("volume %s in %+v", volName, inv.Volumes)
		}
	})
	t.Run("images", func(t *testing.T) {
		i := slices.IndexFunc(inv.Images, func(x docker.ImageItem) bool { return slices.Contains(x.Tags, image) })
		if i < 0 || inv.Images[i].Dangling || inv.Images[i].Size <= 0 {
			t.Errorf("test image %s in %+v", image, inv.Images)
		}
		i = slices.IndexFunc(inv.Images, func(x docker.ImageItem) bool { return x.ID == dangling })
		if i < 0 || !inv.Images[i].Dangling || len(inv.Images[i].Tags) != 0 || inv.Images[i].Labels["kiosc.test.case"] != case_ {
			t.Errorf("dangling image %s in %+v", dangling, inv.Images)
		}
	})
	t.Run("remove", func(t *testing.T) {
		if err := dk.RemoveNetwork(ctx, n.ID); !errors.Is(err, docker.ErrInUse) {
			t.Errorf("removing a network in use: %v, want ErrInUse", err)
		}
		if err := dk.Remove(ctx, cr.ID); err != nil {
			t.Fatal(err)
		}
		if err := dk.RemoveNetwork(ctx, n.ID); err != nil {
			t.Errorf("removing an unused network: %v", err)
		}
		if err := dk.RemoveNetwork(ctx, n.ID); !docker.IsNotFound(err) {
			t.Errorf("removing it again: %v, want not found", err)
		}
		if err := dk.RemoveImage(ctx, dangling); err != nil {
			t.Errorf("removing the dangling image: %v", err)
		}
		if err := dk.RemoveImage(ctx, dangling); !docker.IsNotFound(err) {
			t.Errorf("removing it again: %v, want not found", err)
		}
		inv, err := dk.Inventory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(inv.Networks, func(x docker.NetworkItem) bool { return x.ID == n.ID }) ||
			slices.ContainsFunc(inv.Images, func(x docker.ImageItem) bool { return x.ID == dangling }) {
			t.Error("removed objects still listed")
		}
	})
}
