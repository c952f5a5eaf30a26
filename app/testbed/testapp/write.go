package main

import (
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// handleWrite writes the request body to the file ?path (PUT or POST), creating the folders above it, so tests can
// check that volumes are writable (or not) by the user the app runs as. It answers 201 with the number of bytes
// written, 403 when permission is denied, 409 on a read-only file system, 500 otherwise; the message is the error.
func (s *server) handleWrite(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut && r.Method != http.MethodPost {
		w.Header().Set("Allow", "PUT, POST")
		http.Error(w, "use PUT or POST", http.StatusMethodNotAllowed)
		return
	}
	path := r.URL.Query().Get("path")
	if path == "" {
		badRequest(w, "missing parameter path")
		return
	}
	err := os.MkdirAll(filepath.Dir(path), 0o755)
	var n int64
	if err == nil {
		var f *os.File
		if f, err = os.Create(path); err == nil {
			n, err = io.Copy(f, r.Body)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
	}
	switch {
	case err == nil:
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "wrote "+strconv.FormatInt(n, 10)+" bytes\n")
	case errors.Is(err, fs.ErrPermission):
		http.Error(w, err.Error(), http.StatusForbidden)
	case errors.Is(err, syscall.EROFS):
		http.Error(w, err.Error(), http.StatusConflict)
	default:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}
