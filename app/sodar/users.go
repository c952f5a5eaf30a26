package sodar

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/bihealth/kiosc/app/store"
)

func validUsername(s string) bool {
	if s == "" || len(s) > 150 {
		return false
	}
	for _, c := range s {
		if unicode.IsSpace(c) || unicode.IsControl(c) || c == '/' {
			return false
		}
	}
	return true
}

func (r *mirrorRun) syncUsers(ctx context.Context) {
	ids := sortedKeys(r.p.Users)
	sort.SliceStable(ids, func(i, j int) bool { return r.p.Users[ids[i]].Username < r.p.Users[ids[j]].Username })
	for _, id := range ids {
		u := r.p.Users[id]
		if !validUsername(u.Username) {
			r.skip(KindUser, id, u.Username, fmt.Sprintf("invalid username %q", u.Username))
			continue
		}
		if u.Local() {
			// SODAR-local accounts exist only on SODAR; roles they own go to the default owner.
			r.local[u.Username] = true
			r.note("info", KindUser, id, u.Username, "SODAR-local account (group system); not mirrored")
			continue
		}
		sodarUUID := u.SodarUUID
		if sodarUUID == "" {
			sodarUUID = id
		}
		existing, err := r.Store.GetUserByUsername(ctx, u.Username)
		if errors.Is(err, store.ErrNotFound) {
			nu := &store.User{Username: u.Username, Name: u.FullName(), Email: u.Email, IsActive: true, Source: store.SourceSodar,
				SodarUUID: sodarUUID}
			if u.IsActive != nil {
				nu.IsActive = *u.IsActive
			}
			if err := r.Store.CreateUser(ctx, nu); err != nil {
				r.skip(KindUser, id, u.Username, "cannot create user: "+err.Error())
				continue
			}
			r.users[u.Username] = nu
			r.run.Count(KindUser).Created++
			r.event(ctx, &store.TimelineEvent{EventName: "sodar_user_create", ObjectType: KindUser, ObjectUUID: sodarUUID,
				Description: fmt.Sprintf("create user %q from SODAR", u.Username), ExtraData: map[string]any{"username": u.Username}})
			continue
		}
		if err != nil {
			r.skip(KindUser, id, u.Username, "cannot read user: "+err.Error())
			continue
		}
		var fields []string
		if n := u.FullName(); existing.Name != n {
			existing.Name, fields = n, append(fields, "name")
		}
		if existing.Email != u.Email {
			existing.Email, fields = u.Email, append(fields, "email")
		}
		if existing.SodarUUID != sodarUUID {
			existing.SodarUUID, fields = sodarUUID, append(fields, "sodar_uuid")
		}
		// A superuser is never deactivated by the source, as in SODAR.
		if u.IsActive != nil && *u.IsActive != existing.IsActive && !existing.IsSuperuser {
			existing.IsActive, fields = *u.IsActive, append(fields, "is_active")
		}
		r.users[u.Username] = existing
		if len(fields) == 0 {
			continue
		}
		if err := r.Store.UpdateUser(ctx, existing); err != nil {
			r.skip(KindUser, id, u.Username, "cannot update user: "+err.Error())
			continue
		}
		r.run.Count(KindUser).Updated++
		r.event(ctx, &store.TimelineEvent{EventName: "sodar_user_update", ObjectType: KindUser, ObjectUUID: sodarUUID,
			Description: fmt.Sprintf("update user %q from SODAR (%s)", u.Username, strings.Join(fields, ", ")),
			ExtraData:   map[string]any{"username": u.Username, "fields": fields}})
	}
}

// defaultOwner returns the account that owns projects of SODAR-local owners, or nil with a reason.
func (r *mirrorRun) defaultOwner(ctx context.Context) (*store.User, string) {
	if r.owner == nil && r.ownerErr == "" {
		u, err := r.Store.GetUserByUsername(ctx, r.DefaultOwner)
		switch {
		case err == nil:
			r.owner = u
		case errors.Is(err, store.ErrNotFound):
			r.ownerErr = fmt.Sprintf("the default owner %q (KIOSC_SODAR_DEFAULT_OWNER) does not exist in kiosc", r.DefaultOwner)
		default:
			r.ownerErr = "cannot read the default owner: " + err.Error()
		}
	}
	return r.owner, r.ownerErr
}

// account resolves the kiosc user behind a username of the payload. For SODAR-local accounts, local is true.
func (r *mirrorRun) account(ctx context.Context, username string) (u *store.User, local bool) {
	if r.local[username] {
		return nil, true
	}
	if u := r.users[username]; u != nil {
		return u, false
	}
	// Not among the users mirrored in this run (absent from the payload, or its entry was skipped): an existing
	// account of that name is used, as SODAR does.
	u, err := r.Store.GetUserByUsername(ctx, username)
	if err != nil {
		return nil, false
	}
	r.users[username] = u
	return u, false
}
