package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// User sources.
const (
	SourceLocal = "local"
	SourceOIDC  = "oidc"
	SourceSodar = "sodar"
)

// User is an account. Username is the identity shared with SODAR and the OIDC provider.
type User struct {
	ID           int64
	Username     string
	Name         string
	Email        string
	IsSuperuser  bool
	IsActive     bool
	Source       string
	PasswordHash string // empty: no password login
	OIDCIssuer   string
	OIDCSubject  string
	SodarUUID    string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastLoginAt  *time.Time
	// Groups are the user's groups as the OIDC provider last gave them at a login (none for other accounts).
	Groups []string
}

const userCols = `id, username, name, email, is_superuser, is_active, source, coalesce(password_hash, ''),
	coalesce(oidc_issuer, ''), coalesce(oidc_subject, ''), coalesce(sodar_uuid, ''), created_at, updated_at, last_login_at, groups`

func scanUser(row rowScanner) (*User, error) {
	u := &User{}
	var groups string
	err := row.Scan(&u.ID, &u.Username, &u.Name, &u.Email, &u.IsSuperuser, &u.IsActive, &u.Source, &u.PasswordHash,
		&u.OIDCIssuer, &u.OIDCSubject, &u.SodarUUID, timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt}, nullTimeCol{&u.LastLoginAt}, &groups)
	if err != nil {
		return nil, notFound(err)
	}
	if groups != "" && groups != "[]" {
		if err := json.Unmarshal([]byte(groups), &u.Groups); err != nil {
			return nil, fmt.Errorf("user %s groups: %w", u.Username, err)
		}
	}
	return u, nil
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CreateUser inserts u and sets its ID and timestamps. A taken username gives ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	defer s.bumpACL()
	return createUser(ctx, s.db, u)
}

func createUser(ctx context.Context, q queryer, u *User) error {
	now := storedNow()
	u.CreatedAt, u.UpdatedAt = now, now
	res, err := q.ExecContext(ctx, `INSERT INTO users (username, name, email, is_superuser, is_active, source, password_hash,
		oidc_issuer, oidc_subject, sodar_uuid, created_at, updated_at, last_login_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		u.Username, u.Name, u.Email, u.IsSuperuser, u.IsActive, u.Source, nullStr(u.PasswordHash), nullStr(u.OIDCIssuer),
		nullStr(u.OIDCSubject), nullStr(u.SodarUUID), ts(now), ts(now), nts(u.LastLoginAt))
	if isUnique(err) {
		return fmt.Errorf("user %q: %w", u.Username, ErrConflict)
	}
	if err != nil {
		return err
	}
	u.ID, err = res.LastInsertId()
	return err
}

// GetUser returns the user with the given ID.
func (s *Store) GetUser(ctx context.Context, id int64) (*User, error) {
	return scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
}

// GetUserByUsername returns the user with the given username.
func (s *Store) GetUserByUsername(ctx context.Context, username string) (*User, error) {
	return scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username = ?`, username))
}

// GetUserByOIDC returns the user bound to an OIDC issuer and subject.
func (s *Store) GetUserByOIDC(ctx context.Context, issuer, subject string) (*User, error) {
	return scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE oidc_issuer = ? AND oidc_subject = ?`, issuer, subject))
}

// UserAccess is the part of a user that decides what they may do besides their roles.
type UserAccess struct {
	IsSuperuser bool
	IsActive    bool
}

// ListUserAccess returns the superuser and active flags of every user by ID (for permission caches).
func (s *Store) ListUserAccess(ctx context.Context) (map[int64]UserAccess, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, is_superuser, is_active FROM users`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]UserAccess{}
	for rows.Next() {
		var id int64
		var a UserAccess
		if err := rows.Scan(&id, &a.IsSuperuser, &a.IsActive); err != nil {
			return nil, err
		}
		out[id] = a
	}
	return out, rows.Err()
}

// UserFilter narrows ListUsers.
type UserFilter struct {
	Search string // substring of username, name or email
	Page   Page
}

// ListUsers returns users ordered by username, and the total count matching the filter.
func (s *Store) ListUsers(ctx context.Context, f UserFilter) ([]*User, int, error) {
	where, args := "1=1", []any{}
	if f.Search != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.Search) + "%"
		where = `(username LIKE ? ESCAPE '\' OR name LIKE ? ESCAPE '\' OR email LIKE ? ESCAPE '\')`
		args = append(args, like, like, like)
	}
	return listPage(ctx, s.db, listQuery{cols: userCols, from: " FROM users", where: where, order: "username", args: args},
		f.Page, scanUser)
}

// UpdateUser writes every mutable field of u.
func (s *Store) UpdateUser(ctx context.Context, u *User) error {
	defer s.bumpACL()
	return updateUser(ctx, s.db, u)
}

func updateUser(ctx context.Context, q queryer, u *User) error {
	u.UpdatedAt = storedNow()
	res, err := q.ExecContext(ctx, `UPDATE users SET username = ?, name = ?, email = ?, is_superuser = ?, is_active = ?, source = ?,
		password_hash = ?, oidc_issuer = ?, oidc_subject = ?, sodar_uuid = ?, updated_at = ?, last_login_at = ? WHERE id = ?`,
		u.Username, u.Name, u.Email, u.IsSuperuser, u.IsActive, u.Source, nullStr(u.PasswordHash), nullStr(u.OIDCIssuer),
		nullStr(u.OIDCSubject), nullStr(u.SodarUUID), ts(u.UpdatedAt), nts(u.LastLoginAt), u.ID)
	if isUnique(err) {
		return fmt.Errorf("user %q: %w", u.Username, ErrConflict)
	}
	return affectedOne(res, err)
}

// SetUserGroups stores the groups the OIDC provider gave the user at a login (nil: none).
func (s *Store) SetUserGroups(ctx context.Context, id int64, groups []string) error {
	if groups == nil {
		groups = []string{}
	}
	_, err := s.db.ExecContext(ctx, `UPDATE users SET groups = ? WHERE id = ?`, jsonText(groups), id)
	return err
}

// TouchUserLogin records a successful login.
func (s *Store) TouchUserLogin(ctx context.Context, id int64, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE users SET last_login_at = ? WHERE id = ?`, ts(at), id)
	return err
}

// DeleteUser removes a user with their sessions, tokens and roles.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	defer s.bumpACL()
	res, err := s.db.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
	return affectedOne(res, err)
}

// CountSuperusers counts active superusers (the last one must not be removed).
func (s *Store) CountSuperusers(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE is_superuser = 1 AND is_active = 1`).Scan(&n)
	return n, err
}

func affectedOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
