package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Backup writes a consistent copy of the database at dbPath to dest while kiosc may be using it: SQLite's VACUUM INTO
// reads one snapshot (WAL mode lets kiosc go on writing meanwhile) and writes it compacted to a new file. dest must
// not exist. The copy is checked (integrity_check) before Backup returns; on any error dest is removed. The secret
// key, which decrypts the secrets in the copy, is not in the database (see secrets.KeyFile).
func Backup(ctx context.Context, dbPath, dest string) error {
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("database %s: %w", dbPath, err)
	}
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("%s exists already; kiosc does not overwrite it", dest)
	}
	abs, err := filepath.Abs(dest)
	if err != nil {
		return err
	}
	// The copy holds password and session hashes and encrypted secrets, like the database: it is created private.
	if err := createPrivate(abs); err != nil {
		return err
	}
	if err := os.Remove(abs); err != nil {
		return err
	}
	db, err := openReadOnly(dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	err = func() error {
		if _, err := db.ExecContext(ctx, "VACUUM INTO "+quote(abs)); err != nil {
			return fmt.Errorf("copy the database: %w", err)
		}
		if err := os.Chmod(abs, DataFileMode); err != nil {
			return err
		}
		return Check(ctx, abs)
	}()
	if err != nil {
		_ = os.Remove(abs)
		return err
	}
	return nil
}

// Check opens a database file read-only and runs SQLite's integrity and foreign key checks, and checks that it is
// kiosc's (it has the migrations' version table).
func Check(ctx context.Context, path string) error {
	db, err := openReadOnly(path)
	if err != nil {
		return err
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if res != "ok" {
		return fmt.Errorf("%s is damaged: integrity_check says %q", path, res)
	}
	var violations int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM pragma_foreign_key_check").Scan(&violations); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if violations > 0 {
		return fmt.Errorf("%s is damaged: foreign_key_check reports rows without their parent", path)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM goose_db_version").Scan(&n); err != nil || n == 0 {
		return fmt.Errorf("%s is not a kiosc database", path)
	}
	return nil
}

// Restore replaces the database at dbPath (with its -wal and -shm files) by the backup at src, which is checked
// first. kiosc must not run on dbPath: the caller makes sure (see OpenBy). The database that is replaced is kept
// next to it as <db>.before-restore-<n>.
func Restore(ctx context.Context, src, dbPath string) (kept string, err error) {
	if err := Check(ctx, src); err != nil {
		return "", err
	}
	dir := filepath.Dir(dbPath)
	tmp, err := os.CreateTemp(dir, ".kiosc-restore-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if err := copyFile(tmp, src); err != nil {
		return "", err
	}
	if err := tmp.Chmod(DataFileMode); err != nil {
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if _, err := os.Stat(dbPath); err == nil {
		// Keep the current database (checkpointed into one file) before it is replaced.
		for n := 1; ; n++ {
			kept = dbPath + ".before-restore-" + strconv.Itoa(n)
			if _, err := os.Lstat(kept); errors.Is(err, os.ErrNotExist) {
				break
			}
		}
		if err := Backup(ctx, dbPath, kept); err != nil {
			// It cannot be read as a whole (damaged, perhaps why it is restored): its files are kept as they are.
			for _, f := range DatabaseFiles(dbPath) {
				if err := os.Rename(f, kept+strings.TrimPrefix(f, dbPath)); err != nil && !errors.Is(err, os.ErrNotExist) {
					return "", fmt.Errorf("keep the current database: %w", err)
				}
			}
		}
	}
	for _, f := range DatabaseFiles(dbPath)[1:] {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return kept, err
		}
	}
	if err := os.Rename(tmp.Name(), dbPath); err != nil {
		return kept, err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return kept, nil
}

// OpenBy returns the IDs of the processes that have the database file open (Linux; nil elsewhere), so that a
// restore can refuse to replace the database of a running kiosc.
func OpenBy(dbPath string) []int {
	fi, err := os.Stat(dbPath)
	if err != nil {
		return nil
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		fds, err := os.ReadDir(filepath.Join("/proc", p.Name(), "fd"))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if st, err := os.Stat(filepath.Join("/proc", p.Name(), "fd", fd.Name())); err == nil && os.SameFile(st, fi) {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// openReadOnly opens a database for reading only.
func openReadOnly(path string) (*sql.DB, error) {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func copyFile(dst *os.File, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	_, err = io.Copy(dst, in)
	return err
}
