package server

import (
	"bytes"
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// placeholderPage is served when the binary was built without the SPA.
const placeholderPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>kiosc</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}code{background:#f2f2f2;padding:.1rem .3rem}</style>
</head><body><h1>kiosc is running</h1><p>This binary was built without its web interface.
Build it with <code>make build</code> (needs Node.js 20.19 or newer), then restart <code>bin/kiosc serve</code>.</p>
<p>The REST API is available at <code>/api/v1/</code>.</p></body></html>`

// spa serves the embedded single-page app: hashed assets cached forever, index.html never cached, and index.html for
// every other GET path so that vue-router's history mode works on reload and deep links.
type spa struct {
	files fs.FS
	index []byte
}

func newSPA(files fs.FS) *spa {
	s := &spa{files: files}
	if b, err := fs.ReadFile(files, "index.html"); err == nil {
		s.index = b
	} else {
		s.index = []byte(placeholderPage)
	}
	return s
}

func (s *spa) handler(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		return fiber.ErrMethodNotAllowed
	}
	p := strings.TrimPrefix(path.Clean("/"+c.Path()), "/")
	if p != "" && p != "index.html" {
		if b, err := fs.ReadFile(s.files, p); err == nil {
			if ct := mime.TypeByExtension(path.Ext(p)); ct != "" {
				c.Set(fiber.HeaderContentType, ct)
			}
			if strings.HasPrefix(p, "assets/") {
				c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
			} else {
				c.Set(fiber.HeaderCacheControl, "no-cache")
			}
			return c.Send(b)
		}
		// A missing hashed asset is a real 404 (a stale tab after an upgrade), not the app shell.
		if strings.HasPrefix(p, "assets/") {
			return fiber.ErrNotFound
		}
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Send(bytes.Clone(s.index))
}
