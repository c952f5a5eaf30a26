package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/store/storetest"
)

// The volume settings are stored with the container and the template, and the deletion's choice with the record.
func TestVolumeSettingsRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	c := newContainer(t, s, "with volumes")
	vols := settings.Volumes{{Name: "data", MountPath: "/data", Scope: settings.ScopeContainer},
		{Name: "ref", MountPath: "/ref", Scope: settings.ScopeProject, ReadOnly: true}}
	c.Volumes, c.User, c.ReadOnlyRootfs = vols, "1000:100", true
	if err := s.UpdateContainerConfig(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetContainer(ctx, c.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Volumes, vols) || got.User != "1000:100" || !got.ReadOnlyRootfs || got.DeleteVolumes {
		t.Errorf("round trip: %+v %q %v %v", got.Volumes, got.User, got.ReadOnlyRootfs, got.DeleteVolumes)
	}
	if plain := newContainer(t, s, "without"); plain.Volumes != nil {
		t.Errorf("no volumes: %#v", plain.Volumes)
	}
	if err := s.MarkContainerDeletingVolumes(ctx, c.UUID, true); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.GetContainer(ctx, c.UUID); got.State != store.StateDeleting || !got.DeleteVolumes {
		t.Errorf("deleting with volumes: %s %v", got.State, got.DeleteVolumes)
	}
	if err := s.MarkContainerDeleting(ctx, c.UUID); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.GetContainer(ctx, c.UUID); got.DeleteVolumes {
		t.Error("a later plain deletion still deletes the volumes")
	}

	tpl := &store.Template{Container: settings.Container{Title: "t", Image: "nginx:1", Volumes: vols, User: "jovyan",
		ReadOnlyRootfs: true}}
	if err := s.CreateTemplate(ctx, tpl); err != nil {
		t.Fatal(err)
	}
	gt, err := s.GetTemplate(ctx, tpl.UUID)
	if err != nil || !reflect.DeepEqual(gt.Volumes, vols) || gt.User != "jovyan" || !gt.ReadOnlyRootfs {
		t.Fatalf("template round trip: %+v %v", gt, err)
	}
	gt.Volumes, gt.User, gt.ReadOnlyRootfs = nil, "", false
	if err := s.UpdateTemplate(ctx, gt); err != nil {
		t.Fatal(err)
	}
	if gt, _ = s.GetTemplate(ctx, tpl.UUID); gt.Volumes != nil || gt.User != "" || gt.ReadOnlyRootfs {
		t.Errorf("template update: %+v", gt)
	}
}

func TestVolumeRecords(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	c := newContainer(t, s, "app")
	v := &store.Volume{Scope: settings.ScopeContainer, ProjectID: c.ProjectID, ContainerUUID: c.UUID, ContainerTitle: "app",
		Name: "data", DockerName: "kiosc-i-c-" + c.UUID + "-data", CreatedBy: "alice"}
	got, created, err := s.EnsureVolume(ctx, v)
	if err != nil || !created || got.ID == 0 || got.ProjectUUID != "p-containers" || got.Kept() {
		t.Fatalf("ensure: %+v %v %v", got, created, err)
	}
	again, created, err := s.EnsureVolume(ctx, &store.Volume{Scope: v.Scope, ProjectID: v.ProjectID, ContainerUUID: c.UUID,
		Name: "data", DockerName: v.DockerName})
	if err != nil || created || again.ID != got.ID || again.CreatedBy != "alice" {
		t.Fatalf("ensure again: %+v %v %v", again, created, err)
	}
	proj, _, err := s.EnsureVolume(ctx, &store.Volume{Scope: settings.ScopeProject, ProjectID: c.ProjectID, Name: "data",
		DockerName: "kiosc-i-p-data"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := s.UpdateVolumeOwner(ctx, got.ID, "1000:100"); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchVolume(ctx, got.ID, now, "renamed"); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchVolume(ctx, proj.ID, now, "renamed"); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateVolumeSizes(ctx, map[string]int64{v.DockerName: 4096, "not-kiosc": 1}, now); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListVolumes(ctx, store.VolumeFilter{ProjectUUID: "p-containers"})
	if err != nil || len(list) != 2 || list[0].Scope != settings.ScopeProject || list[1].Scope != settings.ScopeContainer {
		t.Fatalf("list: %+v %v", list, err)
	}
	cv := list[1]
	if cv.Owner != "1000:100" || cv.LastUsedAt == nil || !cv.LastUsedAt.Equal(now) || cv.ContainerTitle != "renamed" ||
		cv.Size == nil || *cv.Size != 4096 || cv.SizeAt == nil || list[0].ContainerTitle != "" || list[0].Size != nil {
		t.Errorf("after updates: %+v / %+v", cv, list[0])
	}
	if l, _ := s.ListVolumes(ctx, store.VolumeFilter{ContainerUUID: c.UUID}); len(l) != 1 || l[0].ID != got.ID {
		t.Errorf("by container: %+v", l)
	}
	if l, _ := s.ListVolumes(ctx, store.VolumeFilter{Scope: settings.ScopeProject, Name: "data"}); len(l) != 1 || l[0].ID != proj.ID {
		t.Errorf("by scope and name: %+v", l)
	}
	kept, err := s.KeepContainerVolumes(ctx, c.UUID, now)
	if err != nil || len(kept) != 1 || !kept[0].Kept() || !kept[0].ContainerDeletedAt.Equal(now) {
		t.Fatalf("keep: %+v %v", kept, err)
	}
	// The first deletion time stays.
	if kept, _ = s.KeepContainerVolumes(ctx, c.UUID, now.Add(time.Hour)); !kept[0].ContainerDeletedAt.Equal(now) {
		t.Errorf("kept since %v", kept[0].ContainerDeletedAt)
	}
	if err := s.MarkVolumeRemoval(ctx, got.ID, now); err != nil {
		t.Fatal(err)
	}
	if g, _ := s.GetVolumeByDockerName(ctx, v.DockerName); g.RemoveAfter == nil || !g.RemoveAfter.Equal(now) {
		t.Errorf("removal: %+v", g)
	}
	// A project cannot go while it has volumes.
	other := &store.Project{UUID: "p-other", Title: "Other", Type: store.TypeProject, Source: "local"}
	if err := s.CreateProject(ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.EnsureVolume(ctx, &store.Volume{Scope: settings.ScopeProject, ProjectID: other.ID, Name: "x",
		DockerName: "kiosc-i-p-other-x"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteProject(ctx, other.ID); !errors.Is(err, store.ErrConflict) {
		t.Errorf("delete project with volumes: %v", err)
	}
	if err := s.DeleteVolume(ctx, got.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetVolumeByDockerName(ctx, v.DockerName); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted: %v", err)
	}
	if err := s.DeleteVolume(ctx, got.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
}
