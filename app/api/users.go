package api

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/timeline"
	"github.com/bihealth/kiosc/app/web"
)

// usernamePattern is what kiosc accepts as a username (SODAR's usernames, e-mail-like OIDC names included).
var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]{0,149}$`)

// Users serves user administration (superusers) and the caller's own password change.
type Users struct {
	Store    *store.Store
	Auth     *auth.Service
	Timeline *timeline.Recorder
	// SecureCookies marks the new session cookie after a password change as Secure.
	SecureCookies bool
}

// Register adds the routes under /api/v1.
func (h *Users) Register(r fiber.Router) {
	r.Get("/users", web.RequireSuperuser, h.list)
	r.Post("/users", web.RequireSuperuser, h.create)
	r.Get("/users/:username", web.RequireSuperuser, h.get)
	r.Patch("/users/:username", web.RequireSuperuser, h.update)
	r.Delete("/users/:username", web.RequireSuperuser, h.delete)
	r.Post("/me/password", web.RequireUser, h.changePassword)
}

func (h *Users) list(c *fiber.Ctx) error {
	page, err := web.ParsePage(c)
	if err != nil {
		return err
	}
	list, total, err := h.Store.ListUsers(c.UserContext(), store.UserFilter{Search: strings.TrimSpace(c.Query("search")), Page: page})
	if err != nil {
		return err
	}
	items := make([]UserOut, 0, len(list))
	for _, u := range list {
		items = append(items, NewUserOut(u))
	}
	return c.JSON(fiber.Map{"items": items, "total": total})
}

type userIn struct {
	Username    string `json:"username"`
	Password    string `json:"password"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	IsSuperuser bool   `json:"is_superuser"`
}

func checkName(fields map[string]string, name string) {
	if utf8.RuneCountInString(name) > 200 {
		fields["name"] = "must be at most 200 characters"
	}
}

func checkEmail(fields map[string]string, email string) {
	if email == "" {
		return
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		fields["email"] = "must be an e-mail address such as alice@example.org"
	}
}

// create makes a local account. Without a password the account can only log in by single sign-on (it is created
// with source oidc, so the first OIDC login with that username binds to it).
func (h *Users) create(c *fiber.Ctx) error {
	var in userIn
	if err := web.Decode(c, &in); err != nil {
		return err
	}
	in.Username, in.Name, in.Email = strings.TrimSpace(in.Username), strings.TrimSpace(in.Name), strings.TrimSpace(in.Email)
	fields := map[string]string{}
	if in.Username == "" {
		fields["username"] = "required"
	} else if !usernamePattern.MatchString(in.Username) {
		fields["username"] = "must start with a letter or digit and contain only letters, digits and . _ @ + - (at most 150 characters)"
	} else if in.Username == store.SystemUser {
		fields["username"] = "is reserved"
	}
	if in.Password != "" {
		if err := auth.ValidatePassword(in.Password); err != nil {
			fields["password"] = err.Error()
		}
	}
	checkName(fields, in.Name)
	checkEmail(fields, in.Email)
	if len(fields) > 0 {
		return web.Validation(fields)
	}
	u := &store.User{Username: in.Username, Name: in.Name, Email: in.Email, IsSuperuser: in.IsSuperuser, IsActive: true, Source: store.SourceLocal}
	if in.Password != "" {
		hash, err := auth.HashPassword(in.Password)
		if err != nil {
			return err
		}
		u.PasswordHash = hash
	} else {
		u.Source = store.SourceOIDC
	}
	if err := h.Store.CreateUser(c.UserContext(), u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return &web.Error{Status: 409, Code: "conflict", Message: "a user named " + in.Username + " already exists", Fields: map[string]string{"username": "already taken"}}
		}
		return err
	}
	actor := web.IdentityOf(c).User.Username
	h.Timeline.Record(c.UserContext(), &store.TimelineEvent{Username: actor, EventName: "user_create",
		Description: fmt.Sprintf("%s created user %s", actor, u.Username), ObjectType: "user", ObjectUUID: u.Username,
		ExtraData: map[string]any{"username": u.Username, "is_superuser": u.IsSuperuser, "source": u.Source}})
	return c.Status(201).JSON(NewUserOut(u))
}

func (h *Users) load(c *fiber.Ctx) (*store.User, error) {
	u, err := h.Store.GetUserByUsername(c.UserContext(), c.Params("username"))
	if err != nil {
		return nil, web.StoreError(err, "user")
	}
	return u, nil
}

func (h *Users) get(c *fiber.Ctx) error {
	u, err := h.load(c)
	if err != nil {
		return err
	}
	return c.JSON(NewUserOut(u))
}

type userPatch struct {
	Name        *string `json:"name"`
	Email       *string `json:"email"`
	IsSuperuser *bool   `json:"is_superuser"`
	IsActive    *bool   `json:"is_active"`
	Password    *string `json:"password"`
}

// lastSuperuser reports whether u is the only active superuser left.
func (h *Users) lastSuperuser(c *fiber.Ctx, u *store.User) (bool, error) {
	if !u.IsSuperuser || !u.IsActive {
		return false, nil
	}
	n, err := h.Store.CountSuperusers(c.UserContext())
	return n <= 1, err
}

func (h *Users) update(c *fiber.Ctx) error {
	var in userPatch
	if err := web.Decode(c, &in); err != nil {
		return err
	}
	u, err := h.load(c)
	if err != nil {
		return err
	}
	fields := map[string]string{}
	if u.Source == store.SourceSodar {
		for name, set := range map[string]bool{"name": in.Name != nil, "email": in.Email != nil, "password": in.Password != nil} {
			if set {
				fields[name] = "managed by the SODAR sync; only is_active and is_superuser can be changed here"
			}
		}
		if len(fields) > 0 {
			return &web.Error{Status: 409, Code: "read_only", Message: "user " + u.Username + " is managed by SODAR: only is_active and is_superuser can be changed in kiosc", Fields: fields}
		}
	}
	if in.Name != nil {
		*in.Name = strings.TrimSpace(*in.Name)
		checkName(fields, *in.Name)
	}
	if in.Email != nil {
		*in.Email = strings.TrimSpace(*in.Email)
		checkEmail(fields, *in.Email)
	}
	if in.Password != nil {
		if err := auth.ValidatePassword(*in.Password); err != nil {
			fields["password"] = err.Error()
		}
	}
	if len(fields) > 0 {
		return web.Validation(fields)
	}
	if (in.IsSuperuser != nil && !*in.IsSuperuser) || (in.IsActive != nil && !*in.IsActive) {
		last, err := h.lastSuperuser(c, u)
		if err != nil {
			return err
		}
		if last {
			return web.Conflict("user " + u.Username + " is the last active superuser; make someone else superuser first")
		}
	}
	changed := map[string]any{}
	endSessions := false
	if in.Name != nil && *in.Name != u.Name {
		u.Name, changed["name"] = *in.Name, *in.Name
	}
	if in.Email != nil && *in.Email != u.Email {
		u.Email, changed["email"] = *in.Email, *in.Email
	}
	if in.IsSuperuser != nil && *in.IsSuperuser != u.IsSuperuser {
		u.IsSuperuser, changed["is_superuser"] = *in.IsSuperuser, *in.IsSuperuser
	}
	if in.IsActive != nil && *in.IsActive != u.IsActive {
		u.IsActive, changed["is_active"] = *in.IsActive, *in.IsActive
		endSessions = !u.IsActive
	}
	if in.Password != nil {
		hash, err := auth.HashPassword(*in.Password)
		if err != nil {
			return err
		}
		u.PasswordHash = hash
		changed["password"] = "reset"
		endSessions = true
	}
	ctx := c.UserContext()
	if len(changed) > 0 {
		if err := h.Store.UpdateUser(ctx, u); err != nil {
			return web.StoreError(err, "user")
		}
	}
	if endSessions {
		if err := h.Store.DeleteUserSessions(ctx, u.ID); err != nil {
			return err
		}
	}
	if len(changed) > 0 {
		actor := web.IdentityOf(c).User.Username
		desc := fmt.Sprintf("%s updated user %s", actor, u.Username)
		if _, ok := changed["password"]; ok {
			desc = fmt.Sprintf("%s reset the password of user %s", actor, u.Username)
		}
		h.Timeline.Record(ctx, &store.TimelineEvent{Username: actor, EventName: "user_update", Description: desc,
			ObjectType: "user", ObjectUUID: u.Username, ExtraData: changed})
	}
	return c.JSON(NewUserOut(u))
}

func (h *Users) delete(c *fiber.Ctx) error {
	u, err := h.load(c)
	if err != nil {
		return err
	}
	last, err := h.lastSuperuser(c, u)
	if err != nil {
		return err
	}
	if last {
		return web.Conflict("user " + u.Username + " is the last active superuser and cannot be deleted")
	}
	ctx := c.UserContext()
	if err := h.Store.DeleteUser(ctx, u.ID); err != nil {
		return web.StoreError(err, "user")
	}
	actor := web.IdentityOf(c).User.Username
	h.Timeline.Record(ctx, &store.TimelineEvent{Username: actor, EventName: "user_delete",
		Description: fmt.Sprintf("%s deleted user %s", actor, u.Username), ObjectType: "user", ObjectUUID: u.Username,
		ExtraData: map[string]any{"username": u.Username, "source": u.Source}})
	return c.SendStatus(204)
}

type passwordIn struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// changePassword lets a user with a password set a new one. Every session of the user ends; the caller's browser
// gets a fresh one so it stays logged in.
func (h *Users) changePassword(c *fiber.Ctx) error {
	var in passwordIn
	if err := web.Decode(c, &in); err != nil {
		return err
	}
	id := web.IdentityOf(c)
	u := id.User
	if u.PasswordHash == "" {
		return &web.Error{Status: 409, Code: "no_password", Message: "this account logs in by single sign-on and has no kiosc password"}
	}
	fields := map[string]string{}
	if in.CurrentPassword == "" {
		fields["current_password"] = "required"
	} else if !auth.CheckPassword(u.PasswordHash, in.CurrentPassword) {
		fields["current_password"] = "is not your current password"
	}
	if err := auth.ValidatePassword(in.NewPassword); err != nil {
		fields["new_password"] = err.Error()
	}
	if len(fields) > 0 {
		return web.Validation(fields)
	}
	hash, err := auth.HashPassword(in.NewPassword)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	u.PasswordHash = hash
	if err := h.Store.UpdateUser(ctx, u); err != nil {
		return web.StoreError(err, "user")
	}
	if err := h.Store.DeleteUserSessions(ctx, u.ID); err != nil {
		return err
	}
	out := fiber.Map{"user": NewUserOut(u), "csrf_token": nil}
	if id.Session != nil {
		se, cookie, err := h.Auth.StartSession(ctx, u, id.Session.AuthMethod, "", web.ClientIP(c), c.Get(fiber.HeaderUserAgent))
		if err != nil {
			return err
		}
		c.Cookie(&fiber.Cookie{Name: web.SessionCookieName(h.SecureCookies), Value: cookie, Path: "/", Expires: se.ExpiresAt, HTTPOnly: true,
			SameSite: fiber.CookieSameSiteLaxMode, Secure: h.SecureCookies})
		out["csrf_token"] = se.CSRFToken
	}
	h.Timeline.Record(ctx, &store.TimelineEvent{Username: u.Username, EventName: "user_password_change",
		Description: u.Username + " changed their password", ObjectType: "user", ObjectUUID: u.Username})
	return c.JSON(out)
}
