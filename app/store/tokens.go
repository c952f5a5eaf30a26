package store

import (
	"context"
	"time"
)

// APIToken is a user's API token. Only the hash of the secret is stored.
type APIToken struct {
	ID         int64
	UserID     int64
	Name       string
	Prefix     string // first characters of the secret, shown in lists to tell tokens apart
	KeyHash    string
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
}

const tokenCols = `id, user_id, name, prefix, key_hash, created_at, expires_at, last_used_at`

func scanToken(row rowScanner) (*APIToken, error) {
	t := &APIToken{}
	err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &t.KeyHash, timeCol{&t.CreatedAt}, nullTimeCol{&t.ExpiresAt}, nullTimeCol{&t.LastUsedAt})
	if err != nil {
		return nil, notFound(err)
	}
	return t, nil
}

// CreateAPIToken stores a token and sets its ID.
func (s *Store) CreateAPIToken(ctx context.Context, t *APIToken) error {
	t.CreatedAt = storedNow()
	res, err := s.db.ExecContext(ctx, `INSERT INTO api_tokens (user_id, name, prefix, key_hash, created_at, expires_at) VALUES (?,?,?,?,?,?)`,
		t.UserID, t.Name, t.Prefix, t.KeyHash, ts(t.CreatedAt), nts(t.ExpiresAt))
	if err != nil {
		return err
	}
	t.ID, err = res.LastInsertId()
	return err
}

// GetAPITokenByHash returns the token with the given secret hash.
func (s *Store) GetAPITokenByHash(ctx context.Context, hash string) (*APIToken, error) {
	return scanToken(s.db.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE key_hash = ?`, hash))
}

// ListAPITokens returns a user's tokens, newest first.
func (s *Store) ListAPITokens(ctx context.Context, userID int64) ([]*APIToken, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE user_id = ? ORDER BY id DESC`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// UpdateAPITokenUsed records the last use of a token.
func (s *Store) UpdateAPITokenUsed(ctx context.Context, id int64, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, ts(at), id)
	return err
}

// DeleteAPIToken revokes a user's token.
func (s *Store) DeleteAPIToken(ctx context.Context, userID, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM api_tokens WHERE id = ? AND user_id = ?`, id, userID)
	return affectedOne(res, err)
}
