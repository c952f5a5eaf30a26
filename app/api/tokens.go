package api

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/timeline"
	"github.com/bihealth/kiosc/app/units"
	"github.com/bihealth/kiosc/app/web"
)

// maxTokenLifetime bounds expires_in (ten years) so the expiry stays a sane date.
const maxTokenLifetime = 10 * 365 * 24 * time.Hour

// TokenOut is the API representation of an API token (never its secret, except once at creation).
type TokenOut struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// NewTokenOut renders a token.
func NewTokenOut(t *store.APIToken) TokenOut {
	return TokenOut{ID: t.ID, Name: t.Name, Prefix: t.Prefix, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt}
}

// Tokens serves the caller's own API tokens: list, create (secret shown once), revoke.
type Tokens struct {
	Store    *store.Store
	Auth     *auth.Service
	Timeline *timeline.Recorder
}

// Register adds the routes under /api/v1.
func (h *Tokens) Register(r fiber.Router) {
	r.Get("/tokens", web.RequireUser, h.list)
	r.Post("/tokens", web.RequireUser, h.create)
	r.Delete("/tokens/:id", web.RequireUser, h.revoke)
}

func (h *Tokens) list(c *fiber.Ctx) error {
	list, err := h.Store.ListAPITokens(c.UserContext(), web.IdentityOf(c).User.ID)
	if err != nil {
		return err
	}
	items := make([]TokenOut, 0, len(list))
	for _, t := range list {
		items = append(items, NewTokenOut(t))
	}
	return c.JSON(fiber.Map{"items": items, "total": len(items)})
}

type tokenIn struct {
	Name      string          `json:"name"`
	ExpiresIn json.RawMessage `json:"expires_in"`
}

// parseExpiresIn accepts seconds as a number or a duration string ("30d", "12h"); null or 0 mean no expiry.
func parseExpiresIn(raw json.RawMessage) (time.Duration, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return 0, nil
	}
	var d time.Duration
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return 0, fmt.Errorf("must be a number of seconds or a duration such as \"30d\" or \"12h\"")
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(str), 10, 64); err == nil {
			d = time.Duration(n) * time.Second
		} else if d, err = units.ParseDuration(str); err != nil {
			return 0, fmt.Errorf("must be a number of seconds or a duration such as \"30d\" or \"12h\", not %q", str)
		}
	} else {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, fmt.Errorf("must be a number of seconds or a duration such as \"30d\" or \"12h\"")
		}
		if f < 0 || f > maxTokenLifetime.Seconds() {
			return 0, fmt.Errorf("must be between 0 and %d seconds", int64(maxTokenLifetime.Seconds()))
		}
		d = time.Duration(f * float64(time.Second))
	}
	if d < 0 || d > maxTokenLifetime {
		return 0, fmt.Errorf("must be between 0 and %d seconds", int64(maxTokenLifetime.Seconds()))
	}
	return d, nil
}

func (h *Tokens) create(c *fiber.Ctx) error {
	var in tokenIn
	if err := web.Decode(c, &in); err != nil {
		return err
	}
	fields := map[string]string{}
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case in.Name == "":
		fields["name"] = "required"
	case utf8.RuneCountInString(in.Name) > 100:
		fields["name"] = "must be at most 100 characters"
	}
	exp, err := parseExpiresIn(in.ExpiresIn)
	if err != nil {
		fields["expires_in"] = err.Error()
	}
	if len(fields) > 0 {
		return web.Validation(fields)
	}
	u := web.IdentityOf(c).User
	t, secret, err := h.Auth.CreateToken(c.UserContext(), u, in.Name, exp)
	if err != nil {
		return err
	}
	extra := map[string]any{"name": t.Name, "prefix": t.Prefix, "token_id": t.ID}
	if t.ExpiresAt != nil {
		extra["expires_at"] = t.ExpiresAt.Format(time.RFC3339)
	}
	h.Timeline.Record(c.UserContext(), &store.TimelineEvent{Username: u.Username, EventName: "token_create",
		Description: fmt.Sprintf("%s created API token %q", u.Username, t.Name), ObjectType: "token",
		ObjectUUID: strconv.FormatInt(t.ID, 10), ExtraData: extra})
	return c.Status(201).JSON(struct {
		TokenOut
		Token string `json:"token"`
	}{NewTokenOut(t), secret})
}

func (h *Tokens) revoke(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return web.NotFound("token")
	}
	u := web.IdentityOf(c).User
	ctx := c.UserContext()
	var name string
	if list, err := h.Store.ListAPITokens(ctx, u.ID); err == nil {
		for _, t := range list {
			if t.ID == id {
				name = t.Name
			}
		}
	}
	if err := h.Store.DeleteAPIToken(ctx, u.ID, id); err != nil {
		return web.StoreError(err, "token")
	}
	h.Timeline.Record(ctx, &store.TimelineEvent{Username: u.Username, EventName: "token_revoke",
		Description: fmt.Sprintf("%s revoked API token %q", u.Username, name), ObjectType: "token",
		ObjectUUID: strconv.FormatInt(id, 10), ExtraData: map[string]any{"name": name, "token_id": id}})
	return c.SendStatus(204)
}
