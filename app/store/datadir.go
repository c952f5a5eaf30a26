package store

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
)

// Modes of the data directory and of the files in it that hold kiosc's state: the database holds password and
// session hashes, encrypted secrets and the timeline, so nobody but kiosc's own user may read it.
const (
	DataDirMode  fs.FileMode = 0o700
	DataFileMode fs.FileMode = 0o600
)

// DatabaseFiles returns the database file and the files SQLite keeps next to it in WAL mode.
func DatabaseFiles(dbPath string) []string {
	return []string{dbPath, dbPath + "-wal", dbPath + "-shm"}
}

// PrepareDataDir creates dir with mode 0700, or tightens an existing one that others may enter, and tightens the
// given files (paths; those that exist, e.g. the database files and the generated secret key) to 0600. Every change
// is logged, since it means an earlier version or an operator left them readable. A directory shared by design (the
// sticky bit, as on /tmp) is left alone with a warning; a mode kiosc may not change (another owner) is a warning
// too, not a reason to refuse to start.
func PrepareDataDir(dir string, files []string, log *slog.Logger) error {
	if err := os.MkdirAll(dir, DataDirMode); err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	switch {
	case fi.Mode().Perm()&^DataDirMode == 0:
	case fi.Mode()&fs.ModeSticky != 0:
		log.Warn("the data directory is shared (sticky bit); its mode is left as it is: use a directory of kiosc's own",
			"dir", dir, "mode", fi.Mode().Perm())
	default:
		tighten(dir, fi.Mode().Perm(), DataDirMode, log)
	}
	for _, f := range files {
		fi, err := os.Lstat(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() || fi.Mode().Perm()&^DataFileMode == 0 {
			continue
		}
		tighten(f, fi.Mode().Perm(), DataFileMode, log)
	}
	return nil
}

func tighten(path string, from, to fs.FileMode, log *slog.Logger) {
	if err := os.Chmod(path, to); err != nil {
		log.Warn("could not tighten permissions; others may read kiosc's data", "path", path, "mode", from, "err", err)
		return
	}
	log.Info("tightened permissions", "path", path, "from", from, "to", to)
}

// createPrivate creates path empty with mode 0600 if it does not exist, so that SQLite, which gives new databases
// 0644 and its -wal and -shm files the database's mode, never makes them readable by others.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, DataFileMode)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}
