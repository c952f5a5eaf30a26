package tarstream

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

type entry struct {
	name, body, link string
	typ              byte
	mode             int64
	uid              int
}

func build(t *testing.T, es ...entry) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link, Uid: e.uid, ModTime: time.Unix(1e9, 0)}
		if e.typ == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(tw, e.body)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

func read(t *testing.T, r io.Reader) []entry {
	t.Helper()
	var out []entry
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out = append(out, entry{name: h.Name, body: string(b), link: h.Linkname, typ: h.Typeflag, mode: h.Mode, uid: h.Uid})
	}
}

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{"": "", "/": "", "a": "/a", "/a/b/": "/a/b", "a//b/./c": "/a/b/c", "/x y": "/x y"} {
		if got, err := CleanPath(in); err != nil || got != want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"..", "/..", "/a/../../etc", "a/..", "../b", "a\x00b"} {
		if got, err := CleanPath(in); !errors.Is(err, ErrBadPath) {
			t.Errorf("CleanPath(%q) = %q, %v; want ErrBadPath", in, got, err)
		}
	}
	for _, in := range []string{"", ".", "..", "a/b", "a\x00", strings.Repeat("x", 256)} {
		if _, err := CleanName(in); !errors.Is(err, ErrBadPath) {
			t.Errorf("CleanName(%q) accepted", in)
		}
	}
}

func TestCopyAndZip(t *testing.T) {
	src := func() io.Reader {
		return build(t, entry{name: "volume/", typ: tar.TypeDir, mode: 0o755}, entry{name: "volume/a.txt", typ: tar.TypeReg, body: "hello"},
			entry{name: "volume/sub/", typ: tar.TypeDir, mode: 0o755}, entry{name: "volume/sub/b", typ: tar.TypeReg, body: "xy"},
			entry{name: "volume/l", typ: tar.TypeSymlink, link: "a.txt"}, entry{name: "volume/h", typ: tar.TypeLink, link: "volume/a.txt"},
			entry{name: "volumes-other", typ: tar.TypeReg, body: ""})
	}
	var out bytes.Buffer
	st, err := Copy(&out, src(), Rename("volume", "data"))
	if err != nil {
		t.Fatal(err)
	}
	got := read(t, &out)
	names := []string{}
	for _, e := range got {
		names = append(names, e.name)
	}
	if strings.Join(names, ",") != "data/,data/a.txt,data/sub/,data/sub/b,data/l,data/h,volumes-other" || got[5].link != "data/a.txt" ||
		got[1].body != "hello" || st.Files != 3 || st.Dirs != 2 || st.Bytes != 7 {
		t.Errorf("copied %v %+v (%+v)", names, got, st)
	}

	var z bytes.Buffer
	if _, err := ToZip(&z, src(), Rename("volume", "data")); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(z.Bytes()), int64(z.Len()))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		files[f.Name] = string(b)
		if f.Name == "data/l" && f.Mode()&0o7777 == 0 {
			t.Errorf("link mode %v", f.Mode())
		}
	}
	if files["data/a.txt"] != "hello" || files["data/sub/b"] != "xy" || files["data/l"] != "a.txt" || len(files) != 6 {
		t.Errorf("zip holds %v", files)
	}
	if _, ok := files["data/h"]; ok {
		t.Error("a hard link in the zip")
	}
}

func TestUploadTar(t *testing.T) {
	now := time.Unix(2e9, 0)
	o := Upload{Missing: []string{"new", "deeper"}, UID: 1000, GID: 100, Now: now}
	src := build(t, entry{name: "./", typ: tar.TypeDir}, entry{name: "./dir/", typ: tar.TypeDir, mode: 0o2775},
		entry{name: "/dir/f", typ: tar.TypeReg, body: "abc", mode: 0o4755, uid: 0},
		entry{name: "dir/link", typ: tar.TypeSymlink, link: "f"}, entry{name: "up", typ: tar.TypeSymlink, link: "dir/../dir/f"})
	var out bytes.Buffer
	st, err := Tar(&out, src, o)
	if err != nil {
		t.Fatal(err)
	}
	got := read(t, &out)
	want := []entry{{name: "new/", typ: tar.TypeDir, mode: 0o755, uid: 1000}, {name: "new/deeper/", typ: tar.TypeDir, mode: 0o755, uid: 1000},
		{name: "new/deeper/dir/", typ: tar.TypeDir, mode: 0o775, uid: 1000}, {name: "new/deeper/dir/f", typ: tar.TypeReg, body: "abc", mode: 0o755, uid: 1000},
		{name: "new/deeper/dir/link", typ: tar.TypeSymlink, link: "f", mode: 0o644, uid: 1000},
		{name: "new/deeper/up", typ: tar.TypeSymlink, link: "dir/../dir/f", mode: 0o644, uid: 1000}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if st.Files != 1 || st.Dirs != 1 || st.Bytes != 3 {
		t.Errorf("stats %+v", st)
	}

	for name, bad := range map[string]*bytes.Buffer{
		"dot dot":            build(t, entry{name: "../escape", typ: tar.TypeReg, body: "x"}),
		"dot dot inside":     build(t, entry{name: "a/../../escape", typ: tar.TypeReg, body: "x"}),
		"absolute link":      build(t, entry{name: "l", typ: tar.TypeSymlink, link: "/etc/passwd"}),
		"link out":           build(t, entry{name: "a/l", typ: tar.TypeSymlink, link: "../../x"}),
		"link to the parent": build(t, entry{name: "l", typ: tar.TypeSymlink, link: ".."}),
		"hard link":          build(t, entry{name: "h", typ: tar.TypeLink, link: "x"}),
		"device":             build(t, entry{name: "d", typ: tar.TypeChar}),
		"fifo":               build(t, entry{name: "p", typ: tar.TypeFifo}),
		"after a good one":   build(t, entry{name: "ok", typ: tar.TypeReg, body: "x"}, entry{name: "../x", typ: tar.TypeReg}),
	} {
		if _, err := Tar(io.Discard, bad, o); !errors.Is(err, ErrBadPath) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Tar(io.Discard, strings.NewReader("not a tar archive at all, just text"), o); err == nil || errors.Is(err, ErrBadPath) {
		t.Errorf("garbage: %v", err)
	}
}

func TestUploadFile(t *testing.T) {
	var out bytes.Buffer
	st, err := File(&out, "notes.txt", 5, strings.NewReader("hello and more"), Upload{UID: 7, GID: 8, Now: time.Unix(1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	got := read(t, &out)
	if len(got) != 1 || got[0].name != "notes.txt" || got[0].body != "hello" || got[0].uid != 7 || st.Files != 1 || st.Bytes != 5 {
		t.Errorf("got %+v %+v", got, st)
	}
	if _, err := File(io.Discard, "x", 10, strings.NewReader("short"), Upload{}); err == nil {
		t.Error("a short body was accepted")
	}
	if _, err := File(io.Discard, "../x", 1, strings.NewReader("x"), Upload{}); !errors.Is(err, ErrBadPath) {
		t.Errorf("bad name: %v", err)
	}
}
