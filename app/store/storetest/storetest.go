// Package storetest opens a migrated SQLite store in a temporary directory for tests.
package storetest

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/bihealth/kiosc/app/store"
)

// Migrations returns the repository's migrations directory (the same files embed.go ships in the binary).
func Migrations(t testing.TB) fs.FS {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return os.DirFS(filepath.Join(dir, "migrations"))
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("storetest: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// New returns a freshly migrated store in t.TempDir(), closed when the test ends.
func New(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(filepath.Join(t.TempDir(), "kiosc.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(context.Background(), Migrations(t), slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	return s
}
