package access_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/store/storetest"
)

// TestCurrentFollowsUserChanges checks that a user object loaded earlier (as long-lived connections hold it) is
// judged with the flags and roles the user has now.
func TestCurrentFollowsUserChanges(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	c := access.NewChecker(st)
	p := &store.Project{Title: "p", Type: store.TypeProject, Source: "local"}
	if err := st.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	held := &store.User{Username: "root", IsSuperuser: true, IsActive: true, Source: store.SourceLocal}
	if err := st.CreateUser(ctx, held); err != nil {
		t.Fatal(err)
	}
	can := func() bool {
		t.Helper()
		cur, ok, err := c.Current(ctx, held)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return false
		}
		allowed, err := c.Can(ctx, cur, p.UUID, access.ViewLogs)
		if err != nil {
			t.Fatal(err)
		}
		return allowed
	}
	if !can() {
		t.Fatal("a superuser may not read logs")
	}
	steps := []struct {
		name   string
		change func(u *store.User) error
		want   bool
	}{
		{"demoted", func(u *store.User) error { u.IsSuperuser = false; return st.UpdateUser(ctx, u) }, false},
		{"given a contributor role", func(u *store.User) error {
			_, err := st.AssignRole(ctx, &store.RoleAssignment{ProjectID: p.ID, UserID: u.ID, Role: access.RoleContributor, Source: "local"})
			return err
		}, true},
		{"downgraded to guest", func(u *store.User) error {
			_, err := st.AssignRole(ctx, &store.RoleAssignment{ProjectID: p.ID, UserID: u.ID, Role: access.RoleGuest, Source: "local"})
			return err
		}, false},
		{"promoted again", func(u *store.User) error { u.IsSuperuser = true; return st.UpdateUser(ctx, u) }, true},
		{"disabled", func(u *store.User) error { u.IsActive = false; return st.UpdateUser(ctx, u) }, false},
		{"enabled", func(u *store.User) error { u.IsActive = true; return st.UpdateUser(ctx, u) }, true},
		{"deleted", func(u *store.User) error { return st.DeleteUser(ctx, u.ID) }, false},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			u, err := st.GetUserByUsername(ctx, "root")
			if err != nil {
				t.Fatal(err)
			}
			if err := s.change(u); err != nil {
				t.Fatal(err)
			}
			if got := can(); got != s.want {
				t.Errorf("may read logs: %v, want %v", got, s.want)
			}
		})
	}
	if !held.IsSuperuser {
		t.Error("Current changed the caller's copy of the user")
	}
}

// countingSource counts how often the checker reloads its copy.
type countingSource struct {
	*store.Store
	loads atomic.Int32
}

func (s *countingSource) ListAllRoles(ctx context.Context) ([]*store.RoleAssignment, error) {
	s.loads.Add(1)
	return s.Store.ListAllRoles(ctx)
}

func TestCheckerReloadsOncePerChange(t *testing.T) {
	ctx := context.Background()
	src := &countingSource{Store: storetest.New(t)}
	c := access.NewChecker(src)
	u := &store.User{Username: "u", IsActive: true, Source: store.SourceLocal}
	if err := src.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		var wg sync.WaitGroup
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, _, err := c.Current(ctx, u); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if n := src.loads.Load(); n != int32(round+1) {
			t.Fatalf("round %d: %d reloads, want %d", round, n, round+1)
		}
		u.Name = fmt.Sprint("change ", round)
		if err := src.UpdateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
}
