package auth

import (
	"context"
	"errors"
	"log/slog"

	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/store"
)

// AdminUsername is the bootstrap superuser created on first start.
const AdminUsername = "admin"

// EnsureAdmin creates the bootstrap superuser when no user named admin exists. The password is the configured one
// or, if none, a random one printed once to the log. An existing admin is never changed.
func EnsureAdmin(ctx context.Context, st *store.Store, password string, log *slog.Logger) error {
	_, err := st.GetUserByUsername(ctx, AdminUsername)
	if err == nil {
		return nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	generated := password == ""
	if generated {
		password = secrets.RandomToken(15)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	u := &store.User{Username: AdminUsername, Name: "Administrator", IsSuperuser: true, IsActive: true, Source: store.SourceLocal, PasswordHash: hash}
	if err := st.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) { // another process won the race
			return nil
		}
		return err
	}
	if generated {
		log.Warn("created the bootstrap superuser with a random password; it is shown only this once, change it after logging in",
			"username", AdminUsername, "password", password)
	} else {
		log.Info("created the bootstrap superuser with the password from KIOSC_ADMIN_PASSWORD", "username", AdminUsername)
	}
	return nil
}
