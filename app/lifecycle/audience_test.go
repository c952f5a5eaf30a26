package lifecycle_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/routing"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

func TestAudienceOf(t *testing.T) {
	for _, tc := range []struct {
		role      string
		superuser bool
		want      lifecycle.Audience
	}{
		{"", false, lifecycle.AudienceNone},
		{access.RoleFinder, false, lifecycle.AudienceNone},
		{access.RoleViewer, false, lifecycle.AudienceList},
		{access.RoleGuest, false, lifecycle.AudienceDetail},
		{access.RoleContributor, false, lifecycle.AudienceFull},
		{access.RoleDelegate, false, lifecycle.AudienceFull},
		{access.RoleOwner, false, lifecycle.AudienceFull},
		{"", true, lifecycle.AudienceFull},
		{access.RoleViewer, true, lifecycle.AudienceFull},
	} {
		t.Run(tc.role+map[bool]string{true: "+superuser"}[tc.superuser], func(t *testing.T) {
			if got := lifecycle.AudienceOf(tc.superuser, tc.role); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestViewFor(t *testing.T) {
	now := time.Now().UTC()
	exit := 3
	port := 32768
	c := &store.Container{UUID: "c1", ProjectUUID: "p1",
		Container: settings.Container{Title: "t", Description: "d", Image: "img:1", Command: "run",
			Environment: map[string]string{"A": "b"}, ContainerPort: 80}, SecretEnvKeys: []string{"S"},
		Template: "tpl", RegistryAuthEnc: "enc", CreatedBy: "alice", CreatedAt: now, UpdatedAt: now}
	c.State, c.StateReason, c.StateMessage, c.DesiredState = store.StateFailed, "pull_failed", "The registry could not be reached.", store.StateStopped
	c.StateDetail = "dial tcp 10.0.0.5:22: connection refused"
	c.DockerID, c.DockerState, c.ExitCode, c.HostPort, c.StartedAt = "abc", "exited", &exit, &port, &now
	v := lifecycle.NewView(c, routing.Apps{Mode: routing.Path}, settings.Sharing{})
	fields := func(x any) []string {
		b, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		out := keysOf(m)
		return out
	}
	full := fields(v)
	t.Run("none", func(t *testing.T) {
		if got := v.For(lifecycle.AudienceNone); got != nil {
			t.Errorf("got %v", got)
		}
	})
	t.Run("list", func(t *testing.T) {
		got := v.For(lifecycle.AudienceList)
		if f := fields(got); !slices.Equal(f, viewerKeys) {
			t.Errorf("fields %v, want %v", f, viewerKeys)
		}
		e := got.(lifecycle.ListEntry)
		if e.UUID != "c1" || e.Project != "p1" || e.State != store.StateFailed || e.StateReason != "pull_failed" ||
			e.DesiredState != store.StateStopped || e.ProxyURL != v.ProxyURL || e.StartedAt == nil {
			t.Errorf("entry %+v", e)
		}
	})
	t.Run("detail", func(t *testing.T) {
		got := v.For(lifecycle.AudienceDetail)
		// The daemon's own text is for contributors and up; guests get the message in words.
		want := slices.DeleteFunc(slices.Clone(full), func(k string) bool { return k == "state_detail" })
		if f := fields(got); !slices.Equal(f, want) || len(want) != len(full)-1 {
			t.Errorf("guest fields %v, want %v", f, want)
		}
		if d := got.(lifecycle.View); d.StateMessage != c.StateMessage || d.StateDetail != "" {
			t.Errorf("guest view %q %q", d.StateMessage, d.StateDetail)
		}
	})
	t.Run("full", func(t *testing.T) {
		if got := v.For(lifecycle.AudienceFull); !reflect.DeepEqual(got, v) || got.(lifecycle.View).StateDetail == "" {
			t.Errorf("got %+v", got)
		}
	})
}
