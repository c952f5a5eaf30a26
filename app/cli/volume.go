package cli

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bihealth/kiosc/app/units"
)

// `kiosc volume ...`: the volumes of a container or a project, and their files: list, download, upload, remove.

func volumeCommands() []Command {
	return []Command{
		{Name: "list", Args: "--container UUID | --project UUID", Summary: "the volumes of a container, or the shared and kept volumes of a project", Run: volumeList},
		{Name: "download", Args: "--container UUID | --project UUID NAME [--path P] [--zip] [-o FILE]", Summary: "download a volume or a file or folder in it (tar, or zip)", Run: volumeDownload},
		{Name: "upload", Args: "--container UUID | --project UUID NAME FILE|FOLDER... [--path P]", Summary: "upload files and folders into a folder of a volume", Run: volumeUpload},
		{Name: "remove", Args: "--project UUID NAME [--container UUID] [--yes]", Summary: "remove a project volume (or a volume kept after its container was deleted)", Run: volumeRemove},
	}
}

// volumeTarget is the container or project whose volume a command names.
type volumeTarget struct {
	container, project, of *string
}

func addVolumeTarget(fs *flag.FlagSet, withOf bool) volumeTarget {
	t := volumeTarget{container: fs.String("container", "", "the container (UUID)"), project: fs.String("project", "", "the project (UUID)")}
	if withOf {
		t.of = fs.String("of-container", "", "with --project: the deleted container whose kept volume is meant (UUID)")
	}
	return t
}

// base returns the API path of the volumes, or a usage error unless exactly one of --container and --project is given.
func (t volumeTarget) base() (string, error) {
	switch {
	case (*t.container == "") == (*t.project == ""):
		return "", usageError{"give either --container UUID or --project UUID"}
	case *t.container != "":
		if t.of != nil && *t.of != "" {
			return "", usageError{"--of-container goes with --project"}
		}
		return containerPath(*t.container, "/volumes"), nil
	}
	return "/api/v1/projects/" + url.PathEscape(*t.project) + "/volumes", nil
}

// query adds ?container= for a kept volume.
func (t volumeTarget) query(q url.Values) {
	if t.of != nil && *t.of != "" {
		q.Set("container", *t.of)
	}
}

// volumeItem is the part of the API's volume object the commands print.
type volumeItem struct {
	Name               string     `json:"name"`
	Scope              string     `json:"scope"`
	Exists             bool       `json:"exists"`
	MountPath          *string    `json:"mount_path"`
	ReadOnly           bool       `json:"read_only"`
	Size               *int64     `json:"size"`
	LastUsedAt         *time.Time `json:"last_used_at"`
	ContainerTitle     string     `json:"container_title"`
	ContainerDeletedAt *time.Time `json:"container_deleted_at"`
	RemoveAfter        *time.Time `json:"remove_after"`
	Users              []struct {
		Title    string `json:"title"`
		ReadOnly bool   `json:"read_only"`
	} `json:"users"`
}

func volumeList(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("volume list", e)
	t := addVolumeTarget(fs, false)
	asJSON := fs.Bool("json", false, "print the API's JSON")
	if err := ctParseFlags(fs, args); err != nil {
		return err
	}
	path, err := t.base()
	if err != nil || fs.NArg() != 0 {
		return usageError{"usage: kiosc volume list --container UUID | --project UUID [--json]"}
	}
	header := []string{"NAME", "SCOPE", "MOUNT", "SIZE", "LAST USED", "USED BY / STATUS"}
	return printList(ctx, e, path, *asJSON, header, func(v volumeItem) []string {
		mount := "-"
		if v.MountPath != nil {
			mount = *v.MountPath
			if v.ReadOnly {
				mount += " (ro)"
			}
		}
		size := "-"
		if v.Size != nil {
			size = units.Bytes(*v.Size).String()
		}
		var status []string
		for _, u := range v.Users {
			s := u.Title
			if u.ReadOnly {
				s += " (ro)"
			}
			status = append(status, s)
		}
		switch {
		case v.ContainerDeletedAt != nil && v.RemoveAfter != nil:
			status = append(status, fmt.Sprintf("kept from deleted %q until %s", v.ContainerTitle, v.RemoveAfter.Local().Format("2006-01-02 15:04")))
		case v.ContainerDeletedAt != nil:
			status = append(status, fmt.Sprintf("kept from deleted %q", v.ContainerTitle))
		case !v.Exists:
			status = append(status, "created at the next start")
		case v.MountPath == nil && v.Scope == "container" && v.ContainerTitle != "" && len(v.Users) == 0:
			status = append(status, "no longer mounted")
		}
		return []string{v.Name, v.Scope, mount, size, when(v.LastUsedAt), strings.Join(status, ", ")}
	})
}

func volumeDownload(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("volume download", e)
	t := addVolumeTarget(fs, true)
	path := fs.String("path", "", "a file or folder inside the volume (default: all of it)")
	asZip := fs.Bool("zip", false, "a zip archive instead of tar")
	out := fs.String("o", "", "file to write (default: the archive's name in the current folder; - for stdout)")
	usage := usageError{"usage: kiosc volume download --container UUID | --project UUID NAME [--path P] [--zip] [-o FILE]"}
	if err := ctParseFlags(fs, args); err != nil {
		return err
	}
	base, err := t.base()
	if err != nil || fs.NArg() != 1 {
		return usage
	}
	q := url.Values{}
	if *path != "" {
		q.Set("path", *path)
	}
	if *asZip {
		q.Set("format", "zip")
	}
	t.query(q)
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	res, err := c.Stream(ctx, "GET", base+"/"+url.PathEscape(fs.Arg(0))+"/archive?"+q.Encode(), nil, "", 0)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	w := e.Stdout
	name := *out
	if name == "" {
		_, params, _ := mime.ParseMediaType(res.Header.Get("Content-Disposition"))
		name = filepath.Base(params["filename"])
		if name == "." || name == "/" || name == "" {
			name = fs.Arg(0) + map[bool]string{false: ".tar", true: ".zip"}[*asZip]
		}
	}
	var f *os.File
	if name != "-" {
		if f, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644); err != nil {
			return fmt.Errorf("%w (choose another file with -o)", err)
		}
		w = f
	}
	n, err := io.Copy(w, res.Body)
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(name)
		}
	}
	if err != nil {
		return fmt.Errorf("download ended after %d bytes: %w", n, err)
	}
	if f != nil {
		fmt.Fprintf(e.Stderr, "Wrote %s (%s)\n", name, units.Bytes(n).String())
	}
	return nil
}

func volumeUpload(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("volume upload", e)
	t := addVolumeTarget(fs, true)
	dir := fs.String("path", "", "folder inside the volume to upload into (default: its root; created when missing)")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	if err := ctParseFlags(fs, args); err != nil {
		return err
	}
	base, err := t.base()
	if err != nil || fs.NArg() < 2 {
		return usageError{"usage: kiosc volume upload --container UUID | --project UUID NAME FILE|FOLDER... [--path P]"}
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	for _, src := range fs.Args()[1:] {
		st, err := os.Stat(src)
		if err != nil {
			return err
		}
		q := url.Values{}
		if *dir != "" {
			q.Set("path", *dir)
		}
		t.query(q)
		path := base + "/" + url.PathEscape(fs.Arg(0)) + "/archive"
		var res *http.Response
		if st.IsDir() {
			pr, pw := io.Pipe()
			go func() { pw.CloseWithError(tarFolder(pw, src)) }()
			res, err = c.Stream(ctx, "PUT", path+"?"+q.Encode(), pr, "application/x-tar", -1)
			_ = pr.Close()
		} else {
			f, oerr := os.Open(src)
			if oerr != nil {
				return oerr
			}
			q.Set("name", filepath.Base(src))
			res, err = c.Stream(ctx, "PUT", path+"?"+q.Encode(), f, "application/octet-stream", st.Size())
			_ = f.Close()
		}
		if err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		res.Body.Close()
		if err != nil {
			return err
		}
		if *asJSON {
			if err := printJSON(e.Stdout, b); err != nil {
				return err
			}
			continue
		}
		var r struct {
			Path  string `json:"path"`
			Files int    `json:"files"`
			Bytes int64  `json:"bytes"`
		}
		_ = json.Unmarshal(b, &r)
		fmt.Fprintf(e.Stdout, "Uploaded %s: %d %s (%s) into %s\n", src, r.Files, map[bool]string{true: "file", false: "files"}[r.Files == 1],
			units.Bytes(r.Bytes).String(), r.Path)
	}
	return nil
}

// tarFolder writes the folder src as a tar archive whose entries are named below the folder's own name (so
// uploading ./results into /in gives /in/results/...): folders, regular files and symbolic links.
func tarFolder(w io.Writer, src string) error {
	tw := tar.NewWriter(w)
	root := filepath.Clean(src)
	parent := filepath.Dir(root)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		} else if !info.Mode().IsRegular() && !info.IsDir() {
			return nil // sockets, devices: nothing to upload
		}
		h, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(parent, p)
		h.Name = filepath.ToSlash(rel)
		if info.IsDir() {
			h.Name += "/"
		}
		h.Uname, h.Gname = "", ""
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

func volumeRemove(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("volume remove", e)
	project := fs.String("project", "", "the project (UUID)")
	of := fs.String("container", "", "the deleted container whose kept volume is meant (UUID)")
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	if err := ctParseFlags(fs, args); err != nil {
		return err
	}
	if *project == "" || fs.NArg() != 1 {
		return usageError{"usage: kiosc volume remove --project UUID NAME [--container UUID] [--yes]"}
	}
	if !*yes {
		terminal := false
		if f, ok := e.Stdin.(*os.File); ok {
			st, err := f.Stat()
			terminal = err == nil && st.Mode()&os.ModeCharDevice != 0
		}
		if !terminal {
			return usageError{"refusing to remove a volume without --yes when stdin is not a terminal"}
		}
		fmt.Fprintf(e.Stderr, "Remove volume %q and every file in it? This cannot be undone. [y/N] ", fs.Arg(0))
		var line string
		_, _ = fmt.Fscanln(e.Stdin, &line)
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			fmt.Fprintln(e.Stderr, "Not removed.")
			return nil
		}
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	path := "/api/v1/projects/" + url.PathEscape(*project) + "/volumes/" + url.PathEscape(fs.Arg(0))
	if *of != "" {
		path += "?container=" + url.QueryEscape(*of)
	}
	if err := c.Do(ctx, "DELETE", path, nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "Volume %q removed\n", fs.Arg(0))
	return nil
}

// Stream sends a request with a raw body (length < 0: chunked) and returns the answer for the caller to read and
// close; an error answer becomes an *APIError. It has no overall time limit: downloads and uploads may be large.
func (c *Client) Stream(ctx context.Context, method, path string, body io.Reader, ctype string, length int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Token "+c.Token)
	if body != nil {
		req.ContentLength = length
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
	}
	hc := *c.HTTP
	hc.Timeout = 0
	res, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach %s: %w", c.URL, errors.Unwrap(err))
	}
	if res.StatusCode >= 400 {
		defer res.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		var eb struct {
			Error *APIError `json:"error"`
		}
		if json.Unmarshal(b, &eb) == nil && eb.Error != nil {
			eb.Error.Status = res.StatusCode
			return nil, eb.Error
		}
		return nil, &APIError{Status: res.StatusCode, Code: "http_error", Message: fmt.Sprintf("%s %s answered %s", method, path, res.Status)}
	}
	return res, nil
}
