package cli_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bihealth/kiosc/app/docker/dockertest"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/store"
)

// TestContainerUpdateOnRealEngine: check-update tells whether the registry has a newer image under the tag,
// list marks containers with an update, show prints the recorded image, and update --wait re-creates the container
// on the new image.
func TestContainerUpdateOnRealEngine(t *testing.T) {
	reg := dockertest.StartRegistry(t, dockertest.RegistryOptions{})
	small := dockertest.LayeredImage{Layers: 1, LayerSize: 256 << 10, Env: map[string]string{"KIOSC_TEST_IMAGE": "v1"}}
	v1 := reg.PushLayered(t, "kiosc-test/cli:latest", small)
	s := serveContainers(t)
	dockertest.Cleanup(t, lifecycle.LabelInstance+"="+s.instance)
	ctx := context.Background()

	r := mustOK(t, s.run("", "container", "create", "--project", s.project.UUID, "--image", v1.Ref, "--title", "app",
		"--port", "8080", "--heartbeat-url", "/health", "--json"))
	var v map[string]any
	_ = json.Unmarshal([]byte(r.stdout), &v)
	id, _ := v["uuid"].(string)
	mustOK(t, s.run("", "container", "start", id, "--wait", "--timeout", "2m"))
	if r := mustOK(t, s.run("", "container", "check-update", id)); !strings.Contains(r.stdout, `Container "app": up to date`) {
		t.Errorf("check-update of the current image:\n%s", r.stdout)
	}

	small.Env = map[string]string{"KIOSC_TEST_IMAGE": "v2"}
	v2 := reg.PushLayered(t, "kiosc-test/cli:latest", small)
	reg.TagLocal(t, v1.ID, v1.Ref)
	r = mustOK(t, s.run("", "container", "check-update", id))
	t.Logf("check-update:\n%s", r.stdout)
	if !strings.Contains(r.stdout, `Container "app": update available: the registry's `+v1.Ref+" is now sha256:") ||
		!strings.Contains(r.stdout, "`kiosc container update "+id+"` updates it to "+reg.Ref("kiosc-test/cli")+"@sha256:") {
		t.Errorf("check-update after v2 was pushed:\n%s", r.stdout)
	}
	r = mustOK(t, s.run("", "container", "list"))
	if !strings.Contains(r.stdout, "UPDATE") || !rowHas(r.stdout, id, "available") {
		t.Errorf("list does not mark the update:\n%s", r.stdout)
	}
	r = mustOK(t, s.run("", "container", "show", id))
	for _, want := range []string{"image_id", v1.ID, "image_digest", reg.Ref("kiosc-test/cli") + "@sha256:", "update_status",
		"available", "update_checked_at", "update_message"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, r.stdout)
		}
	}

	r = mustOK(t, s.run("", "container", "update", id, "--wait", "--timeout", "2m"))
	t.Logf("update --wait:\n%s", r.stdout)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if !strings.Contains(lines[len(lines)-1], "update: updated to sha256:") || !strings.Contains(r.stdout, "creating") {
		t.Errorf("update --wait:\n%s", r.stdout)
	}
	if c, _ := s.Store.GetContainer(ctx, id); c.State != store.StateRunning || c.ImageID != v2.ID || c.UpdateAvailable {
		t.Errorf("after update --wait: %s, image %s, update available %v", c.State, c.ImageID, c.UpdateAvailable)
	}
	if r := mustOK(t, s.run("", "container", "list")); rowHas(r.stdout, id, "available") {
		t.Errorf("list still marks the update:\n%s", r.stdout)
	}

	// An image built on the Docker host cannot be checked, which is an answer, not a failure.
	r = mustOK(t, s.run("", "container", "create", "--project", s.project.UUID, "--image", dockertest.TestAppImage(t),
		"--title", "local", "--json"))
	_ = json.Unmarshal([]byte(r.stdout), &v)
	if r := mustOK(t, s.run("", "container", "check-update", v["uuid"].(string))); !strings.Contains(r.stdout, "cannot be checked") {
		t.Errorf("check-update of a local image:\n%s", r.stdout)
	}
}

// rowHas reports whether the table line of id contains word.
func rowHas(table, id, word string) bool {
	for line := range strings.SplitSeq(table, "\n") {
		if strings.HasPrefix(line, id) {
			return strings.Contains(line, word)
		}
	}
	return false
}
