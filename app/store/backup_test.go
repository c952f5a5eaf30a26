package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/store/storetest"
)

// dbFile returns the file of a store.
func dbFile(t *testing.T, s *store.Store) string {
	t.Helper()
	var seq int
	var name, file string
	if err := s.DB().QueryRow("PRAGMA database_list").Scan(&seq, &name, &file); err != nil {
		t.Fatal(err)
	}
	return file
}

// A backup taken while kiosc writes is a consistent copy: it passes the integrity check and holds every record
// committed before it began; a restore puts it in place of the database.
func TestBackupWhileWritingAndRestore(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	path := dbFile(t, s)
	projectID := newContainer(t, s, "before").ProjectID
	for i := range 19 {
		newContainer(t, s, fmt.Sprintf("before %d", i))
	}
	// Writers go on during the backup.
	var stop atomic.Bool
	var wg sync.WaitGroup
	var written atomic.Int64
	errs := make(chan error, 3)
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				c := &store.Container{ProjectID: projectID, CreatedBy: "alice"}
				c.Title, c.Image, c.ContainerPort = fmt.Sprintf("during %d %d", w, i), "nginx:1", 80
				if err := s.CreateContainer(ctx, c); err != nil {
					errs <- err
					return
				}
				written.Add(1)
			}
		}()
	}
	dest := filepath.Join(t.TempDir(), "backup.db")
	err := store.Backup(ctx, path, dest)
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	close(errs)
	for err := range errs {
		t.Errorf("writer: %v", err)
	}
	if fi, err := os.Stat(dest); err != nil || fi.Mode().Perm() != store.DataFileMode {
		t.Errorf("backup file: %v %v", fi, err)
	}
	if err := store.Check(ctx, dest); err != nil {
		t.Fatal(err)
	}
	if err := store.Backup(ctx, path, dest); err == nil {
		t.Error("a backup overwrote an existing file")
	}

	b, err := store.Open(dest)
	if err != nil {
		t.Fatal(err)
	}
	copied, _, err := b.ListContainers(ctx, store.ContainerFilter{})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	all, _, _ := s.ListContainers(ctx, store.ContainerFilter{})
	if len(copied) < 20 || len(copied) > len(all) {
		t.Errorf("backup holds %d containers; 20 before it, %d at the end (%d written meanwhile)", len(copied), len(all), written.Load())
	}
	t.Logf("backup holds %d of %d containers (%d written during the backup)", len(copied), len(all), written.Load())

	// Restore into another data directory's database, which exists and is kept.
	other := storetest.New(t)
	otherPath := dbFile(t, other)
	other.Close()
	kept, err := store.Restore(ctx, dest, otherPath)
	if err != nil {
		t.Fatal(err)
	}
	if kept == "" || store.Check(ctx, kept) != nil {
		t.Errorf("the replaced database was not kept: %q", kept)
	}
	r, err := store.Open(otherPath)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	restored, _, err := r.ListContainers(ctx, store.ContainerFilter{})
	if err != nil || len(restored) != len(copied) {
		t.Errorf("restored %d containers, the backup has %d: %v", len(restored), len(copied), err)
	}
}

func TestRestoreRefusesWhatIsNotAKioscDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, []byte("not a database at all, not even close to one"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.db")
	db, err := sql.Open("sqlite", "file:"+other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE t (x)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	target := filepath.Join(dir, "kiosc.db")
	for _, src := range []string{junk, other, filepath.Join(dir, "missing.db")} {
		if _, err := store.Restore(ctx, src, target); err == nil {
			t.Errorf("restored %s", src)
		}
	}
	if _, err := os.Stat(target); !errors.Is(err, os.ErrNotExist) {
		t.Error("a refused restore left a database behind")
	}
}

// SQLite's "database or disk is full" is a storage fault the API can name.
func TestStorageFull(t *testing.T) {
	s := storetest.New(t)
	var pages int
	if err := s.DB().QueryRow("PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	// One connection, so the page limit holds for the writes below.
	s.DB().SetMaxOpenConns(1)
	if _, err := s.DB().Exec(fmt.Sprintf("PRAGMA max_page_count = %d", pages+2)); err != nil {
		t.Fatal(err)
	}
	var err error
	for i := 0; i < 1000 && err == nil; i++ {
		err = s.CreateContainerEvent(context.Background(), &store.ContainerEvent{ContainerUUID: "c", Message: fmt.Sprint(i, " ", strings.Repeat("x", 2000))})
	}
	if !errors.Is(store.StorageFault(err), store.ErrStorageFull) {
		t.Fatalf("error %v is not a full disk", err)
	}
	if store.StorageFault(errors.New("something else")) != nil || store.StorageFault(store.ErrNotFound) != nil {
		t.Error("other errors taken for storage faults")
	}
}
