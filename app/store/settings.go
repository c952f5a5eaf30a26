package store

import (
	"context"
	"time"
)

// Well-known settings keys.
const (
	SettingInstanceID  = "instance_id"
	SettingNetworkMode = "network_mode"
	// SettingSharing holds the site's sharing setting as JSON (settings.Sharing): whether link and public access
	// may be used.
	SettingSharing = "sharing"
)

// GetSetting returns the value of a setting, or ErrNotFound.
func (s *Store) GetSetting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	return v, notFound(err)
}

// UpdateSetting creates or replaces a setting.
func (s *Store) UpdateSetting(ctx context.Context, key, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, ts(time.Now()))
	return err
}

// CreateSettingIfAbsent stores value unless the key exists, and returns the stored value either way.
func (s *Store) CreateSettingIfAbsent(ctx context.Context, key, value string) (string, error) {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING`,
		key, value, ts(time.Now())); err != nil {
		return "", err
	}
	return s.GetSetting(ctx, key)
}
