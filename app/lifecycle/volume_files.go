package lifecycle

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/tarstream"
)

// Files of volumes are read and written through the engine's archive endpoints on a helper container of the empty
// helper image, created for the request and never started, with the one volume mounted at filesRoot (read-only for a
// download). Paths are checked before (no '..'); the engine resolves symbolic links inside the helper, whose file
// system is empty, so no path reaches an app's files or the host's.

// filesRoot is where a helper mounts the volume whose files it serves.
const filesRoot = "/volume"

// ErrBadPath marks a path inside a volume that kiosc refuses (see tarstream.CleanPath) or that names no folder.
var ErrBadPath = tarstream.ErrBadPath

// VolumeDownload is a download being streamed: a tar archive of a file or a folder of a volume. Close it.
type VolumeDownload struct {
	// Name suggests a file name for the archive (without extension).
	Name   string
	src    io.ReadCloser
	rename func(string) string
	done   func()
}

// WriteTar writes the download as a tar archive.
func (d *VolumeDownload) WriteTar(w io.Writer) (tarstream.Stats, error) {
	return tarstream.Copy(w, d.src, d.rename)
}

// WriteZip writes the download as a zip archive, converted on the fly.
func (d *VolumeDownload) WriteZip(w io.Writer) (tarstream.Stats, error) {
	return tarstream.ToZip(w, d.src, d.rename)
}

// Close ends the download and removes its helper container.
func (d *VolumeDownload) Close() error {
	err := d.src.Close()
	d.done()
	return err
}

// DownloadVolume opens a tar archive of the file or folder at p in the volume (""/"/": the whole volume, whose
// archive's root folder is named after the volume). ErrBadPath for a path with '..', ErrNotFound when nothing is
// there.
func (m *Manager) DownloadVolume(ctx context.Context, rec *store.Volume, p string) (*VolumeDownload, error) {
	p, err := tarstream.CleanPath(p)
	if err != nil {
		return nil, err
	}
	vd, err := m.volumeDocker()
	if err != nil {
		return nil, err
	}
	id, done, err := m.helper(ctx, rec.ProjectUUID, HelperFiles, []docker.Mount{{Volume: rec.DockerName, Target: filesRoot,
		ReadOnly: true, NoCopy: true}})
	if err != nil {
		return nil, err
	}
	src, err := vd.CopyFrom(ctx, id, volumePath(filesRoot, p))
	if err != nil {
		done()
		if docker.IsNotFound(err) {
			return nil, fmt.Errorf("no file or folder %s in volume %s: %w", orDefault(p, "/"), rec.Name, store.ErrNotFound)
		}
		return nil, err
	}
	d := &VolumeDownload{Name: rec.Name, src: src, done: done}
	if p == "" {
		d.rename = tarstream.Rename(path.Base(filesRoot), rec.Name)
	} else {
		d.Name += "-" + path.Base(p)
	}
	return d, nil
}

// UploadFile is an upload of one file (else the upload is a tar archive).
type UploadFile struct {
	Name string
	Size int64
}

// UploadResult is what an upload wrote.
type UploadResult struct {
	Path string `json:"path"`
	tarstream.Stats
}

// UploadToVolume writes into the folder p of the volume (created with the folders above it when missing) one file
// (file set, size bytes from body) or the entries of the tar archive body, owned by the owner of the folder they go
// into, and records a timeline event. A path through a symbolic link or a file is ErrBadPath; so is an entry of
// the archive that would leave the folder, or that is not a file, folder or symbolic link, which ends the upload
// there (entries before it stay written, and the error says so).
func (m *Manager) UploadToVolume(ctx context.Context, user *store.User, rec *store.Volume, p string, body io.Reader,
	file *UploadFile) (*UploadResult, error) {
	p, err := tarstream.CleanPath(p)
	if err != nil {
		return nil, err
	}
	if file != nil {
		if _, err := tarstream.CleanName(file.Name); err != nil {
			return nil, err
		}
	}
	vd, err := m.volumeDocker()
	if err != nil {
		return nil, err
	}
	id, done, err := m.helper(ctx, rec.ProjectUUID, HelperFiles, []docker.Mount{{Volume: rec.DockerName, Target: filesRoot, NoCopy: true}})
	if err != nil {
		return nil, err
	}
	defer done()

	// The deepest folder that exists is where the archive is extracted; the folders below it are created by it.
	dir, o := filesRoot, tarstream.Upload{Now: time.Now()}
	for _, el := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		if el == "" {
			continue
		}
		if len(o.Missing) > 0 {
			o.Missing = append(o.Missing, el)
			continue
		}
		st, err := vd.StatPath(ctx, id, dir+"/"+el)
		switch {
		case docker.IsNotFound(err):
			o.Missing = append(o.Missing, el)
			continue
		case err != nil:
			return nil, err
		case st.IsSymlink:
			return nil, fmt.Errorf("%w: %s is a symbolic link; upload into the folder it points to", ErrBadPath,
				strings.TrimPrefix(dir+"/"+el, filesRoot))
		case !st.IsDir:
			return nil, fmt.Errorf("%w: %s is a file, not a folder", ErrBadPath, strings.TrimPrefix(dir+"/"+el, filesRoot))
		}
		dir += "/" + el
	}
	if o.UID, o.GID, err = ownerOf(ctx, vd, id, dir); err != nil {
		return nil, err
	}

	pr, pw := io.Pipe()
	type result struct {
		st  tarstream.Stats
		err error
	}
	res := make(chan result, 1)
	go func() {
		var r result
		if file != nil {
			r.st, r.err = tarstream.File(pw, file.Name, file.Size, body, o)
		} else {
			r.st, r.err = tarstream.Tar(pw, body, o)
		}
		pw.CloseWithError(r.err)
		res <- r
	}()
	copyErr := vd.CopyTo(ctx, id, dir, pr)
	_ = pr.CloseWithError(errors.New("the engine stopped reading the upload"))
	r := <-res
	out := &UploadResult{Path: orDefault(p, "/"), Stats: r.st}
	extra := map[string]any{"path": out.Path, "files": r.st.Files, "dirs": r.st.Dirs, "bytes": r.st.Bytes}
	if file != nil {
		extra["file"] = file.Name
	}
	what := fmt.Sprintf("%d %s (%d bytes) into %s of %s", r.st.Files, plural(r.st.Files, "file"), r.st.Bytes, out.Path, describeVolume(rec))
	err = r.err
	if err == nil && copyErr != nil {
		err = copyError(copyErr)
	}
	if err != nil {
		extra["error"] = err.Error()
		m.volumeTimeline(ctx, rec, user.Username, "volume_upload", store.StatusFailed, "upload failed after "+what+": "+err.Error(), extra)
		if r.st.Files+r.st.Dirs > 0 {
			return out, fmt.Errorf("%w (what came before was written: %d %s, %d %s)", err, r.st.Files, plural(r.st.Files, "file"),
				r.st.Dirs, plural(r.st.Dirs, "folder"))
		}
		return out, err
	}
	m.volumeTimeline(ctx, rec, user.Username, "volume_upload", store.StatusOK, "uploaded "+what, extra)
	return out, nil
}

// ErrUploadConflict is an upload the engine refused because it would replace a folder with a file or a file with a
// folder.
var ErrUploadConflict = errors.New("the upload would replace a folder with a file, or a file with a folder")

func copyError(err error) error {
	msg := strings.ToLower(err.Error())
	if strings.Contains(msg, "cannot overwrite") {
		return fmt.Errorf("%w (%s)", ErrUploadConflict, err.Error())
	}
	return fmt.Errorf("the engine refused the upload: %w", err)
}

// ownerOf returns the owner of a folder in a container: the header of the folder itself, the first entry of its
// archive (only that much is read).
func ownerOf(ctx context.Context, vd VolumeDocker, id, dir string) (int, int, error) {
	rc, err := vd.CopyFrom(ctx, id, dir)
	if err != nil {
		return 0, 0, err
	}
	defer rc.Close()
	h, err := tar.NewReader(rc).Next()
	if err != nil {
		return 0, 0, fmt.Errorf("reading the owner of %s: %w", dir, err)
	}
	return h.Uid, h.Gid, nil
}
