// Package tarstream transforms the tar archives of volume files as streams, with bounded memory whatever their size:
// it renames the entries of a download, converts a download to zip, and checks and rewrites uploads so that nothing
// lands outside the folder they are extracted into. It imports no kiosc package.
package tarstream

import (
	"archive/tar"
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"
)

// Stats counts what went through a transformation.
type Stats struct {
	Files int   `json:"files"`
	Dirs  int   `json:"dirs"`
	Bytes int64 `json:"bytes"`
}

func (s *Stats) add(h *tar.Header) {
	switch h.Typeflag {
	case tar.TypeDir:
		s.Dirs++
	case tar.TypeReg:
		s.Files++
		s.Bytes += h.Size
	}
}

// ErrBadPath marks a path or an archive entry that would leave its folder, or that cannot be a file name.
var ErrBadPath = errors.New("bad path")

// CleanPath checks a path inside a volume, given by a user: "" and "/" are the volume's root; no element may be
// "..", and no NUL byte. It returns the path in the form "/a/b" ("" for the root).
func CleanPath(p string) (string, error) {
	if strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("%w: the path contains a NUL byte", ErrBadPath)
	}
	for _, el := range strings.Split(p, "/") {
		if el == ".." {
			return "", fmt.Errorf("%w: %q: '..' is not allowed in paths inside a volume", ErrBadPath, p)
		}
	}
	c := path.Clean("/" + p)
	if c == "/" {
		return "", nil
	}
	return c, nil
}

// CleanName checks a file name (one path element) given by a user.
func CleanName(name string) (string, error) {
	switch {
	case name == "" || name == "." || name == "..":
		return "", fmt.Errorf("%w: %q is not a file name", ErrBadPath, name)
	case strings.ContainsAny(name, "/\x00"):
		return "", fmt.Errorf("%w: the file name %q contains '/' or a NUL byte", ErrBadPath, name)
	case len(name) > 255:
		return "", fmt.Errorf("%w: the file name is longer than 255 bytes", ErrBadPath)
	}
	return name, nil
}

// Rename returns a renaming that replaces the first element of every entry name from with to (for the root
// folder of a download, which the engine names after the mount point).
func Rename(from, to string) func(string) string {
	return func(name string) string {
		if name == from || name == from+"/" {
			return to + name[len(from):]
		}
		if strings.HasPrefix(name, from+"/") {
			return to + name[len(from):]
		}
		return name
	}
}

// Copy writes the tar archive src to dst, renaming its entries with rename (nil: unchanged) and the targets of
// hard links alike.
func Copy(dst io.Writer, src io.Reader, rename func(string) string) (Stats, error) {
	var st Stats
	tr, tw := tar.NewReader(src), tar.NewWriter(dst)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return st, tw.Close()
		}
		if err != nil {
			return st, err
		}
		if rename != nil {
			h.Name = rename(h.Name)
			if h.Typeflag == tar.TypeLink {
				h.Linkname = rename(h.Linkname)
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			return st, err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return st, err
		}
		st.add(h)
	}
}

// ToZip converts the tar archive src to a zip archive on dst as it reads it: folders, files (deflated) and symbolic
// links, with their modes and times; renamed with rename (nil: unchanged). Hard links become copies of nothing:
// they are skipped, like devices and other special files, which a zip cannot hold.
func ToZip(dst io.Writer, src io.Reader, rename func(string) string) (Stats, error) {
	var st Stats
	tr, zw := tar.NewReader(src), zip.NewWriter(dst)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return st, zw.Close()
		}
		if err != nil {
			return st, err
		}
		name := h.Name
		if rename != nil {
			name = rename(name)
		}
		fi := h.FileInfo()
		zh := &zip.FileHeader{Name: name, Modified: h.ModTime, Method: zip.Deflate}
		switch h.Typeflag {
		case tar.TypeDir:
			if !strings.HasSuffix(zh.Name, "/") {
				zh.Name += "/"
			}
			zh.Method = zip.Store
			zh.SetMode(fi.Mode())
		case tar.TypeReg:
			zh.SetMode(fi.Mode())
			zh.UncompressedSize64 = uint64(h.Size)
		case tar.TypeSymlink:
			zh.Method = zip.Store
			zh.SetMode(fs.ModeSymlink | 0o777)
		default:
			continue
		}
		w, err := zw.CreateHeader(zh)
		if err != nil {
			return st, err
		}
		switch h.Typeflag {
		case tar.TypeReg:
			if _, err := io.Copy(w, tr); err != nil {
				return st, err
			}
		case tar.TypeSymlink:
			if _, err := io.WriteString(w, h.Linkname); err != nil {
				return st, err
			}
		}
		st.add(h)
	}
}

// Upload says how an upload is written into a folder of a volume.
type Upload struct {
	// Missing are the folders between the existing folder the archive is extracted into and the folder the user
	// named; they are created first, and every entry goes below them.
	Missing []string
	// UID and GID own everything written: the owner of the folder it goes into.
	UID, GID int
	// Now is the time of the created folders (and of entries without one).
	Now time.Time
}

func (o Upload) prefix() string {
	if len(o.Missing) == 0 {
		return ""
	}
	return strings.Join(o.Missing, "/") + "/"
}

// writeMissing writes the folders of o.Missing.
func (o Upload) writeMissing(tw *tar.Writer) error {
	for i := range o.Missing {
		h := &tar.Header{Name: strings.Join(o.Missing[:i+1], "/") + "/", Typeflag: tar.TypeDir, Mode: 0o755, Uid: o.UID,
			Gid: o.GID, ModTime: o.Now}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
	}
	return nil
}

// File writes one uploaded file of size bytes from src as a tar archive on dst.
func File(dst io.Writer, name string, size int64, src io.Reader, o Upload) (Stats, error) {
	var st Stats
	name, err := CleanName(name)
	if err != nil {
		return st, err
	}
	tw := tar.NewWriter(dst)
	if err := o.writeMissing(tw); err != nil {
		return st, err
	}
	h := &tar.Header{Name: o.prefix() + name, Typeflag: tar.TypeReg, Mode: 0o644, Size: size, Uid: o.UID, Gid: o.GID, ModTime: o.Now}
	if err := tw.WriteHeader(h); err != nil {
		return st, err
	}
	n, err := io.CopyN(tw, src, size)
	if err != nil {
		return st, fmt.Errorf("reading the upload after %d of %d bytes: %w", n, size, err)
	}
	st.add(h)
	return st, tw.Close()
}

// Tar checks the uploaded tar archive src entry by entry and writes it to dst: each name relative and without '..'
// (a leading "/" or "./" is dropped), folders, files and symbolic links only, links pointing inside the archive's
// folder, everything owned by o.UID:o.GID, permission bits without setuid, setgid and sticky. The first entry it
// refuses ends the upload with an error naming it (ErrBadPath); what was written before stays written.
func Tar(dst io.Writer, src io.Reader, o Upload) (Stats, error) {
	var st Stats
	tr, tw := tar.NewReader(src), tar.NewWriter(dst)
	if err := o.writeMissing(tw); err != nil {
		return st, err
	}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return st, tw.Close()
		}
		if err != nil {
			return st, fmt.Errorf("reading the uploaded archive: %w", err)
		}
		name, err := entryName(h.Name)
		if err != nil {
			return st, err
		}
		if name == "" { // "./" or "/": the folder itself
			continue
		}
		out := &tar.Header{Name: o.prefix() + name, Uid: o.UID, Gid: o.GID, ModTime: h.ModTime, Mode: h.Mode & 0o777,
			Format: tar.FormatPAX}
		if out.ModTime.IsZero() {
			out.ModTime = o.Now
		}
		switch h.Typeflag {
		case tar.TypeDir:
			out.Typeflag, out.Name = tar.TypeDir, out.Name+"/"
		case tar.TypeReg, tar.TypeRegA: //nolint:staticcheck // old archives mark regular files with TypeRegA
			out.Typeflag, out.Size = tar.TypeReg, h.Size
		case tar.TypeSymlink:
			if !linkInside(name, h.Linkname) {
				return st, fmt.Errorf("%w: the symbolic link %q points outside the folder (%q)", ErrBadPath, h.Name, h.Linkname)
			}
			out.Typeflag, out.Linkname = tar.TypeSymlink, h.Linkname
		case tar.TypeXHeader, tar.TypeXGlobalHeader, tar.TypeGNULongName, tar.TypeGNULongLink:
			continue // read by archive/tar itself
		default:
			return st, fmt.Errorf("%w: %q is not a file, folder or symbolic link (hard links and special files are not accepted)",
				ErrBadPath, h.Name)
		}
		if err := tw.WriteHeader(out); err != nil {
			return st, err
		}
		if out.Typeflag == tar.TypeReg {
			if _, err := io.Copy(tw, tr); err != nil {
				return st, fmt.Errorf("reading %q of the uploaded archive: %w", h.Name, err)
			}
		}
		st.add(out)
	}
}

// entryName cleans the name of an uploaded entry: relative, without '..'; "" for the archive's own folder.
func entryName(name string) (string, error) {
	if strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("%w: an entry name contains a NUL byte", ErrBadPath)
	}
	for _, el := range strings.Split(name, "/") {
		if el == ".." {
			return "", fmt.Errorf("%w: the entry %q leaves the folder ('..')", ErrBadPath, name)
		}
	}
	c := strings.TrimPrefix(path.Clean("/"+name), "/")
	return c, nil
}

// linkInside reports whether a symbolic link at name (relative to the folder) with target stays inside the folder.
func linkInside(name, target string) bool {
	if target == "" || strings.HasPrefix(target, "/") || strings.ContainsRune(target, 0) {
		return false
	}
	resolved := path.Clean(path.Join(path.Dir(name), target))
	return resolved != ".." && !strings.HasPrefix(resolved, "../")
}
