//go:build unix

package store_test

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/bihealth/kiosc/app/store"
)

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestDataDirPermissions(t *testing.T) {
	// The usual umask: without care, new directories get 0755 and new files 0644.
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })

	t.Run("a fresh data directory and database are private", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		db := filepath.Join(dir, "kiosc.db")
		var log bytes.Buffer
		if err := store.PrepareDataDir(dir, store.DatabaseFiles(db), slog.New(slog.NewTextHandler(&log, nil))); err != nil {
			t.Fatal(err)
		}
		if m := mode(t, dir); m != 0o700 {
			t.Errorf("data directory %v, want 0700", m)
		}
		st, err := store.Open(db)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if _, err := st.DB().ExecContext(context.Background(), `CREATE TABLE t (x); INSERT INTO t VALUES (1)`); err != nil {
			t.Fatal(err)
		}
		for _, f := range store.DatabaseFiles(db) {
			if m := mode(t, f); m != 0o600 {
				t.Errorf("%s: %v, want 0600", filepath.Base(f), m)
			}
		}
		if strings.Contains(log.String(), "tightened") {
			t.Errorf("nothing to tighten, yet: %s", log.String())
		}
	})

	t.Run("wider modes left by earlier starts are tightened and logged", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		db := filepath.Join(dir, "kiosc.db")
		key := filepath.Join(dir, "secret.key")
		files := append(store.DatabaseFiles(db), key)
		for _, f := range files {
			if err := os.WriteFile(f, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		other := filepath.Join(dir, "scripts")
		if err := os.Mkdir(other, 0o755); err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		if err := store.PrepareDataDir(dir, files, slog.New(slog.NewTextHandler(&log, nil))); err != nil {
			t.Fatal(err)
		}
		if m := mode(t, dir); m != 0o700 {
			t.Errorf("data directory %v, want 0700", m)
		}
		for _, f := range files {
			if m := mode(t, f); m != 0o600 {
				t.Errorf("%s: %v, want 0600", filepath.Base(f), m)
			}
			if !strings.Contains(log.String(), "path="+f) {
				t.Errorf("tightening %s not logged: %s", filepath.Base(f), log.String())
			}
		}
		if m := mode(t, other); m != 0o755 {
			t.Errorf("a directory kiosc was not asked about changed to %v", m)
		}
		if !strings.Contains(log.String(), "tightened permissions") || !strings.Contains(log.String(), "from=-rwxr-xr-x") {
			t.Errorf("log: %s", log.String())
		}
	})

	t.Run("a shared sticky directory is left alone with a warning", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "shared")
		if err := os.Mkdir(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o777|fs.ModeSticky); err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		if err := store.PrepareDataDir(dir, nil, slog.New(slog.NewTextHandler(&log, nil))); err != nil {
			t.Fatal(err)
		}
		if m := mode(t, dir); m != 0o777 || !strings.Contains(log.String(), "sticky") {
			t.Errorf("mode %v, log %s", m, log.String())
		}
	})

	t.Run("a data directory that is a file is an error", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := store.PrepareDataDir(f, nil, slog.New(slog.DiscardHandler)); err == nil {
			t.Error("no error")
		}
	})
}
