package store

import (
	"errors"
	"strings"
	"syscall"

	"modernc.org/sqlite"
)

// Storage faults: what the database's disk did to a write, told from SQLite's result codes and the system's errors.
var (
	// ErrStorageFull means the disk of the data directory is full: nothing was written, and writes work again once
	// space is freed.
	ErrStorageFull = errors.New("the disk of kiosc's data directory is full")
	// ErrStorageUnavailable means the database could not be read or written (an I/O error, a read-only file system).
	ErrStorageUnavailable = errors.New("kiosc's database cannot be read or written")
)

// SQLite's primary result codes (the low byte of extended codes) that mean storage faults.
const (
	sqliteReadOnly = 8
	sqliteIOErr    = 10
	sqliteFull     = 13
	sqliteCantOpen = 14
)

// StorageFault returns ErrStorageFull or ErrStorageUnavailable when err is such a fault of the database's storage,
// else nil.
func StorageFault(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrStorageFull) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return ErrStorageFull
	}
	if errors.Is(err, ErrStorageUnavailable) {
		return ErrStorageUnavailable
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqliteFull:
			return ErrStorageFull
		case sqliteIOErr, sqliteReadOnly, sqliteCantOpen:
			if strings.Contains(strings.ToLower(se.Error()), "no space left") {
				return ErrStorageFull
			}
			return ErrStorageUnavailable
		}
		return nil
	}
	// The driver's errors reach some callers as text only.
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "database or disk is full"), strings.Contains(msg, "no space left on device"):
		return ErrStorageFull
	case strings.Contains(msg, "disk i/o error"), strings.Contains(msg, "attempt to write a readonly database"):
		return ErrStorageUnavailable
	}
	return nil
}
