package store

import (
	"context"
	"time"
)

// OIDCLogin is an OpenID Connect login in progress, between the redirect to the provider and its callback.
type OIDCLogin struct {
	StateHash   string
	BrowserHash string
	Nonce       string
	VerifierEnc string
	NextPath    string
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// CreateOIDCLogin stores a login in progress and drops expired ones.
func (s *Store) CreateOIDCLogin(ctx context.Context, l *OIDCLogin) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM oidc_logins WHERE expires_at <= ?`, ts(l.CreatedAt)); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO oidc_logins (state_hash, browser_hash, nonce, verifier_enc, next_path, created_at, expires_at)
		VALUES (?,?,?,?,?,?,?)`, l.StateHash, l.BrowserHash, l.Nonce, l.VerifierEnc, l.NextPath, ts(l.CreatedAt), ts(l.ExpiresAt))
	return err
}

// TakeOIDCLogin removes and returns the login with the given state hash, so each can be completed at most once.
// Expired logins are returned too (the caller says why they fail).
func (s *Store) TakeOIDCLogin(ctx context.Context, stateHash string) (*OIDCLogin, error) {
	l := &OIDCLogin{}
	err := s.db.QueryRowContext(ctx, `DELETE FROM oidc_logins WHERE state_hash = ? RETURNING state_hash, browser_hash, nonce,
		verifier_enc, next_path, created_at, expires_at`, stateHash).Scan(&l.StateHash, &l.BrowserHash, &l.Nonce, &l.VerifierEnc,
		&l.NextPath, timeCol{&l.CreatedAt}, timeCol{&l.ExpiresAt})
	if err != nil {
		return nil, notFound(err)
	}
	return l, nil
}

// CountOIDCLogins counts unexpired logins in progress.
func (s *Store) CountOIDCLogins(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM oidc_logins WHERE expires_at > ?`, ts(now)).Scan(&n)
	return n, err
}
