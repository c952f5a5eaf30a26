package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/store"
)

// benchIdentity measures the permission checks on every proxied request and API call, the reload after a role
// change, and API token authentication, on a site of 2,000 projects in 100 categories and 500 users.
func benchIdentity(ctx context.Context) ([]row, error) {
	st, done, err := tempStore(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	const categories, perCategory, users = 100, 20, 500
	var projects []*store.Project
	for c := range categories {
		cat := &store.Project{Title: fmt.Sprintf("category %d", c), Type: store.TypeCategory, Source: store.SourceLocal}
		if err := st.CreateProject(ctx, cat); err != nil {
			return nil, err
		}
		for p := range perCategory {
			pr := &store.Project{Title: fmt.Sprintf("project %d", p), Type: store.TypeProject, Source: store.SourceLocal, ParentID: &cat.ID}
			if err := st.CreateProject(ctx, pr); err != nil {
				return nil, err
			}
			projects = append(projects, pr)
		}
	}
	var us []*store.User
	for i := range users {
		u := &store.User{Username: fmt.Sprintf("user%d", i), Source: store.SourceLocal, IsActive: true}
		if err := st.CreateUser(ctx, u); err != nil {
			return nil, err
		}
		us = append(us, u)
		for j := range 5 {
			p := projects[(i*7+j*131)%len(projects)]
			if err := st.UpdateRole(ctx, &store.RoleAssignment{ProjectID: p.ID, UserID: u.ID, Role: access.RoleGuest, Source: store.SourceLocal}); err != nil {
				return nil, err
			}
		}
	}
	checker := access.NewChecker(st)
	if _, err := checker.Can(ctx, us[0], projects[0].UUID, access.OpenApp); err != nil {
		return nil, err
	}
	const checks = 200000
	start := time.Now()
	for i := range checks {
		if _, err := checker.Can(ctx, us[i%users], projects[i%len(projects)].UUID, access.OpenApp); err != nil {
			return nil, err
		}
	}
	perCheck := time.Since(start) / checks

	const reloads = 20
	start = time.Now()
	for i := range reloads {
		if err := st.UpdateRole(ctx, &store.RoleAssignment{ProjectID: projects[i].ID, UserID: us[0].ID, Role: access.RoleViewer, Source: store.SourceLocal}); err != nil {
			return nil, err
		}
		if _, err := checker.Can(ctx, us[1], projects[1].UUID, access.OpenApp); err != nil {
			return nil, err
		}
	}
	perReload := time.Since(start) / reloads

	keys, err := secrets.New([]byte("bench key bench key bench key bench"))
	if err != nil {
		return nil, err
	}
	svc := auth.NewService(st, keys, log, auth.Options{LocalLogin: true})
	_, secret, err := svc.CreateToken(ctx, us[0], "bench", 0)
	if err != nil {
		return nil, err
	}
	const lookups = 5000
	start = time.Now()
	for range lookups {
		if _, err := svc.TokenIdentity(ctx, secret); err != nil {
			return nil, err
		}
	}
	perToken := time.Since(start) / lookups

	site := fmt.Sprintf("%d projects, %d users, %d roles", len(projects)+categories, users, users*5)
	return []row{
		{"permission check (cached)", perCheck.String(), site + "; Checker.Can with category inheritance"},
		{"permission cache reload", perReload.Round(100 * time.Microsecond).String(), "after a role change, including the write"},
		{"API token authentication", perToken.Round(time.Microsecond).String(), "hash lookup, expiry and user check in SQLite"},
	}, nil
}
