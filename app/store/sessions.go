package store

import (
	"context"
	"time"
)

// Session is a server-side login session. IDHash is the SHA-256 of the cookie value.
type Session struct {
	IDHash     string
	UserID     int64
	CSRFToken  string
	AuthMethod string // "local" or "oidc"
	IDTokenEnc string // encrypted OIDC ID token, for provider logout
	IP         string
	UserAgent  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

const sessionCols = `id_hash, user_id, csrf_token, auth_method, coalesce(id_token_enc, ''), ip, user_agent, created_at, last_seen_at, expires_at`

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, se *Session) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, csrf_token, auth_method, id_token_enc, ip, user_agent, created_at, last_seen_at, expires_at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		se.IDHash, se.UserID, se.CSRFToken, se.AuthMethod, nullStr(se.IDTokenEnc), se.IP, se.UserAgent,
		ts(se.CreatedAt), ts(se.LastSeenAt), ts(se.ExpiresAt))
	return err
}

// GetSession returns an unexpired session by the hash of its cookie value.
func (s *Store) GetSession(ctx context.Context, idHash string, now time.Time) (*Session, error) {
	se := &Session{}
	err := s.db.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id_hash = ? AND expires_at > ?`, idHash, ts(now)).
		Scan(&se.IDHash, &se.UserID, &se.CSRFToken, &se.AuthMethod, &se.IDTokenEnc, &se.IP, &se.UserAgent,
			timeCol{&se.CreatedAt}, timeCol{&se.LastSeenAt}, timeCol{&se.ExpiresAt})
	if err != nil {
		return nil, notFound(err)
	}
	return se, nil
}

// UpdateSessionSeen records activity on a session.
func (s *Store) UpdateSessionSeen(ctx context.Context, idHash string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?`, ts(at), idHash)
	return err
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash)
	return err
}

// DeleteUserSessions ends every session of a user (password change, disable, delete).
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	return err
}

// DeleteExpiredSessions removes sessions past their expiry and returns how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, ts(now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
