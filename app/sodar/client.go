// Package sodar makes kiosc a SODAR target site: it pulls the remote-site sync payload from the SODAR source
// (client.go), decodes it entry by entry (payload.go), mirrors categories, projects, users and roles into the store
// (mirror.go), and runs that on start, on an interval and on demand, recording every run (service.go).
package sodar

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// MediaType is SODAR's media type for the remote-site sync API.
const MediaType = "application/vnd.bihealth.sodar-core.projectroles.sync+json"

// Versions are the sync API versions kiosc asks for, newest first; SODAR answers 406 to versions it does not know.
var Versions = []string{"2.1", "2.0", "1.0"}

// Errors the client returns (wrapped with details that never contain the secret).
var (
	ErrUnauthorized = errors.New("SODAR refused the remote-site secret (401); check KIOSC_SODAR_SECRET and that this site is registered as a target on SODAR")
	ErrNoVersion    = errors.New("SODAR accepts none of the sync API versions " + strings.Join(Versions, ", ") + " (406)")
	ErrNotJSON      = errors.New("SODAR's answer is not a JSON object")
	ErrUnreachable  = errors.New("SODAR cannot be reached")
	ErrStatus       = errors.New("SODAR answered with an unexpected status")
)

// maxPayload bounds the payload read into memory; real payloads of large sites are a few MiB.
const maxPayload = 256 << 20

// Client fetches the sync payload from a SODAR source site.
type Client struct {
	// URL is the source site's base URL (a trailing slash is ignored).
	URL string
	// Secret is the remote-site secret; it travels only in the request path and is removed from every error.
	Secret string
	// HTTP is the client used (nil: a default one); Timeout bounds each request (0: 30 s).
	HTTP    *http.Client
	Timeout time.Duration
}

// endpoint is the full URL including the secret; never log or return it.
func (c *Client) endpoint() string {
	return strings.TrimRight(c.URL, "/") + "/project/api/remote/get/" + url.PathEscape(c.Secret)
}

// Redact replaces the secret in s (plain and URL-escaped) with "***".
func (c *Client) Redact(s string) string {
	if c.Secret == "" {
		return s
	}
	s = strings.ReplaceAll(s, c.Secret, "***")
	if esc := url.PathEscape(c.Secret); esc != c.Secret {
		s = strings.ReplaceAll(s, esc, "***")
	}
	return s
}

// SafeURL is where the client fetches from, with the secret replaced.
func (c *Client) SafeURL() string {
	return strings.TrimRight(c.URL, "/") + "/project/api/remote/get/***"
}

// Fetch downloads the payload, negotiating the newest version the source accepts, and returns the raw JSON object
// and the version used.
func (c *Client) Fetch(ctx context.Context) ([]byte, string, error) {
	var lastDetail string
	for _, v := range Versions {
		body, status, err := c.get(ctx, v)
		if err != nil {
			return nil, "", err
		}
		switch status {
		case http.StatusOK:
			if !isJSONObject(body) {
				return nil, "", fmt.Errorf("%w (version %s): %s", ErrNotJSON, v, c.snippet(body))
			}
			return body, v, nil
		case http.StatusNotAcceptable:
			lastDetail = c.snippet(body)
			continue
		case http.StatusUnauthorized:
			return nil, "", ErrUnauthorized
		default:
			return nil, "", fmt.Errorf("%w %d from %s: %s", ErrStatus, status, c.SafeURL(), c.snippet(body))
		}
	}
	return nil, "", fmt.Errorf("%w: %s", ErrNoVersion, lastDetail)
}

func (c *Client) get(ctx context.Context, version string) ([]byte, int, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint(), nil)
	if err != nil {
		return nil, 0, fmt.Errorf("KIOSC_SODAR_URL: %s", c.Redact(err.Error()))
	}
	// Exactly one media type with version= last: SODAR takes everything after "version=" as the version.
	req.Header.Set("Accept", MediaType+"; version="+version)
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		// net/http errors carry the URL, and with it the secret: keep only a redacted message.
		return nil, 0, fmt.Errorf("%w at %s: %s", ErrUnreachable, c.SafeURL(), c.Redact(err.Error()))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPayload+1))
	if err != nil {
		return nil, 0, fmt.Errorf("%w: reading the answer from %s: %s", ErrUnreachable, c.SafeURL(), c.Redact(err.Error()))
	}
	if len(body) > maxPayload {
		return nil, 0, fmt.Errorf("SODAR's answer is larger than %d MiB", maxPayload>>20)
	}
	return body, resp.StatusCode, nil
}

// snippet is a short, redacted, single-line excerpt of an answer for error messages.
func (c *Client) snippet(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		s = "(empty body)"
	}
	return c.Redact(s)
}

func isJSONObject(body []byte) bool {
	b := bytes.TrimSpace(body)
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}
