package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/store/storetest"
)

func TestTemplates(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	p := &store.Project{UUID: "p-templates", Title: "Templates", Type: store.TypeProject, Source: "local"}
	if err := s.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	site := &store.Template{Container: settings.Container{Title: "Jupyter", Image: "jupyter/base:1", ContainerPort: 8888,
		StripPrefix: true, Environment: map[string]string{"A": "1"}, MemoryLimit: 1 << 30, CPULimit: 1.5},
		CreatedBy: "admin"}
	copyOf := func(title string, project *store.Project, link *store.Template) *store.Template {
		c := &store.Template{Container: settings.Container{Title: title, Image: "jupyter/base:1", ContainerPort: 8888}}
		if project != nil {
			c.ProjectID = &project.ID
		}
		if link != nil {
			c.SiteTemplateID = &link.ID
		}
		return c
	}

	t.Run("create and get", func(t *testing.T) {
		if err := s.CreateTemplate(ctx, site); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetTemplate(ctx, site.UUID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.IsSite() || got.ProjectUUID != "" || got.Environment["A"] != "1" || got.PullPolicy != "if-missing" ||
			got.CPULimit != 1.5 || got.MemoryLimit != 1<<30 || got.ContainerPort != 8888 || !got.StripPrefix || got.CreatedBy != "admin" {
			t.Errorf("round trip: %+v", got)
		}
		if _, err := s.GetTemplate(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing: %v", err)
		}
	})

	var proj *store.Template
	t.Run("unique title per scope", func(t *testing.T) {
		if err := s.CreateTemplate(ctx, copyOf("Jupyter", nil, nil)); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate site title: %v", err)
		}
		proj = copyOf("Jupyter", p, site)
		if err := s.CreateTemplate(ctx, proj); err != nil {
			t.Fatalf("same title in a project: %v", err)
		}
		if err := s.CreateTemplate(ctx, copyOf("Jupyter", p, nil)); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate project title: %v", err)
		}
		got, _ := s.GetTemplate(ctx, proj.UUID)
		if got.ProjectUUID != "p-templates" || got.SiteTemplateUUID != site.UUID || got.IsSite() {
			t.Errorf("project template: %+v", got)
		}
	})

	t.Run("list per scope", func(t *testing.T) {
		if err := s.CreateTemplate(ctx, copyOf("Another", nil, nil)); err != nil {
			t.Fatal(err)
		}
		list, total, err := s.ListTemplates(ctx, store.TemplateFilter{})
		if err != nil || total != 2 || len(list) != 2 || list[0].Title != "Another" {
			t.Fatalf("site list: %d %v %v", total, list, err)
		}
		list, total, err = s.ListTemplates(ctx, store.TemplateFilter{ProjectUUID: "p-templates", Page: store.Page{Limit: 1}})
		if err != nil || total != 1 || len(list) != 1 || list[0].UUID != proj.UUID {
			t.Fatalf("project list: %d %v %v", total, list, err)
		}
	})

	t.Run("update", func(t *testing.T) {
		got, _ := s.GetTemplate(ctx, proj.UUID)
		got.Image, got.Environment, got.SiteTemplateID = "jupyter/base:2", map[string]string{"B": "2"}, nil
		if err := s.UpdateTemplate(ctx, got); err != nil {
			t.Fatal(err)
		}
		got, _ = s.GetTemplate(ctx, proj.UUID)
		if got.Image != "jupyter/base:2" || got.Environment["B"] != "2" || got.SiteTemplateUUID != "" {
			t.Errorf("after update: %+v", got)
		}
		got.Title = "Another"
		if err := s.UpdateTemplate(ctx, got); err != nil {
			t.Errorf("a project may reuse a site title: %v", err)
		}
		got.SiteTemplateID = &site.ID
		got.Title = "Jupyter"
		if err := s.UpdateTemplate(ctx, got); err != nil {
			t.Fatal(err)
		}
		missing := &store.Template{ID: 99999, Container: settings.Container{Title: "x", Image: "x"}}
		if err := s.UpdateTemplate(ctx, missing); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing: %v", err)
		}
	})

	t.Run("delete unlinks copies and containers", func(t *testing.T) {
		c := &store.Container{ProjectID: p.ID, Container: settings.Container{Title: "from site", Image: "x"}, Template: site.UUID}
		if err := s.CreateContainer(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteTemplate(ctx, site.UUID); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetTemplate(ctx, proj.UUID)
		if err != nil || got.SiteTemplateID != nil || got.SiteTemplateUUID != "" {
			t.Errorf("copy after delete: %+v %v", got, err)
		}
		ct, _ := s.GetContainer(ctx, c.UUID)
		if ct.Template != "" {
			t.Errorf("container still names the deleted template: %q", ct.Template)
		}
		if err := s.DeleteTemplate(ctx, site.UUID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second delete: %v", err)
		}
	})
}
