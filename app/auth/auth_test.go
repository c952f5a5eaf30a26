package auth

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/store/storetest"
)

func TestPasswords(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	for name, hash := range map[string]string{"argon2id": h, "bcrypt": string(b)} {
		t.Run(name, func(t *testing.T) {
			if !CheckPassword(hash, "correct horse") || CheckPassword(hash, "wrong horse") {
				t.Fatal("password check wrong")
			}
		})
	}
	if CheckPassword("plaintext", "plaintext") || CheckPassword("", "") {
		t.Fatal("unknown hash formats must never match")
	}
	if ValidatePassword("short") == nil || ValidatePassword("long enough") != nil {
		t.Fatal("password policy")
	}
}

func TestTokensAndValidity(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	keys, _ := secrets.New([]byte("0123456789abcdef0123456789abcdef"))
	svc := NewService(st, keys, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{LocalLogin: true})
	u := &store.User{Username: "alice", IsActive: true, Source: store.SourceLocal}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	tok, secret, err := svc.CreateToken(ctx, u, "ci", time.Hour)
	if err != nil || tok.KeyHash == secret || tok.Prefix == "" {
		t.Fatalf("CreateToken = %+v, %v", tok, err)
	}
	id, err := svc.TokenIdentity(ctx, secret)
	if err != nil || id.User.Username != "alice" || !svc.StillValid(ctx, id) {
		t.Fatalf("TokenIdentity = %+v, %v", id, err)
	}
	svc.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if _, err := svc.TokenIdentity(ctx, secret); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("expired token: %v", err)
	}
	if svc.StillValid(ctx, id) {
		t.Fatal("expired token still valid")
	}
	svc.now = time.Now
	u.IsActive = false
	if err := st.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.TokenIdentity(ctx, secret); !errors.Is(err, ErrInactive) {
		t.Fatalf("disabled user's token: %v", err)
	}
}

func TestEnsureAdminOnce(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := EnsureAdmin(ctx, st, "first-password", log); err != nil {
		t.Fatal(err)
	}
	if err := EnsureAdmin(ctx, st, "second-password", log); err != nil {
		t.Fatal(err)
	}
	u, err := st.GetUserByUsername(ctx, AdminUsername)
	if err != nil || !u.IsSuperuser || !CheckPassword(u.PasswordHash, "first-password") {
		t.Fatalf("admin = %+v, %v", u, err)
	}
}
