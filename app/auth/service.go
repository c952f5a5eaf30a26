package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/store"
)

// Errors of the authentication service.
var (
	ErrInvalidCredentials = errors.New("invalid username or password")
	ErrLocalLoginDisabled = errors.New("local login is disabled; use single sign-on")
	ErrInactive           = errors.New("this account is disabled")
	ErrNoSession          = errors.New("not logged in")
	ErrTokenExpired       = errors.New("API token expired")
)

// ThrottledError is returned while too many failed logins block a client address, or a username from that address.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed login attempts; try again in %d s", int(e.RetryAfter.Seconds())+1)
}

// TokenPrefix starts every API token, so leaked tokens are recognisable by secret scanners.
const TokenPrefix = "kiosc_"

// Identity is an authenticated caller: a user with either a session (browser) or an API token (scripts).
type Identity struct {
	User    *store.User
	Session *store.Session
	Token   *store.APIToken
	// App holds the values of the identity headers an app receives for this user, made once when the identity is
	// resolved so that the proxy only copies them.
	App AppHeaders
}

// AppHeaders are the values of X-Kiosc-User-Name, X-Kiosc-User-Email and X-Kiosc-Groups.
type AppHeaders struct {
	Name   string
	Email  string
	Groups string // comma-separated; empty without groups
}

// NewIdentity returns the identity of u with a session or a token, its app headers filled in.
func NewIdentity(u *store.User, se *store.Session, t *store.APIToken) *Identity {
	id := &Identity{User: u, Session: se, Token: t}
	id.App = AppHeaders{Name: HeaderValue(u.Name), Email: HeaderValue(u.Email)}
	if len(u.Groups) > 0 {
		gs := make([]string, 0, len(u.Groups))
		for _, g := range u.Groups {
			if g = strings.TrimSpace(HeaderValue(strings.ReplaceAll(g, ",", " "))); g != "" {
				gs = append(gs, g)
			}
		}
		id.App.Groups = strings.Join(gs, ",")
	}
	return id
}

// HeaderValue makes s safe as an HTTP header value: control characters (which could end the header and start
// another) become spaces; the rest, UTF-8 included, is kept.
func HeaderValue(s string) string {
	if strings.IndexFunc(s, isControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// Options configure the Service.
type Options struct {
	SessionLifetime time.Duration
	LocalLogin      bool
	BreakGlassUser  string
}

// Service authenticates callers against the store.
type Service struct {
	store   *store.Store
	keys    *secrets.Keys
	log     *slog.Logger
	opts    Options
	logins  *LoginThrottle
	now     func() time.Time
	dummyPW string
}

// NewService returns the authentication service.
func NewService(st *store.Store, keys *secrets.Keys, log *slog.Logger, opts Options) *Service {
	if opts.SessionLifetime <= 0 {
		opts.SessionLifetime = 7 * 24 * time.Hour
	}
	return &Service{
		store: st, keys: keys, log: log, opts: opts, logins: NewLoginThrottle(), now: time.Now, dummyPW: dummyHash(),
	}
}

// Keys returns the instance keys (for signing OIDC state and encrypting tokens).
func (s *Service) Keys() *secrets.Keys { return s.keys }

// LocalLoginAllowed reports whether username may log in with a password under the current configuration.
func (s *Service) LocalLoginAllowed(username string) bool {
	return s.opts.LocalLogin || (s.opts.BreakGlassUser != "" && username == s.opts.BreakGlassUser)
}

// LocalLoginEnabled reports whether the local login form should be offered.
func (s *Service) LocalLoginEnabled() bool { return s.opts.LocalLogin || s.opts.BreakGlassUser != "" }

// LoginPassword checks a username and password and starts a session. It returns the cookie value. addr is the
// client's address as ClientAddr derives it (never a raw header): failed logins are throttled per address and per
// username from that address (see LoginThrottle).
func (s *Service) LoginPassword(ctx context.Context, username, password, addr, userAgent string) (*Identity, string, error) {
	username = strings.TrimSpace(username)
	if !s.LocalLoginAllowed(username) {
		return nil, "", ErrLocalLoginDisabled
	}
	if blocked, wait := s.logins.Blocked(username, addr); blocked {
		s.log.Warn("login refused: throttled", "username", username, "addr", addr, "retry_after", wait.Round(time.Second))
		return nil, "", &ThrottledError{RetryAfter: wait}
	}
	u, err := s.store.GetUserByUsername(ctx, username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, "", err
	}
	if u == nil || u.PasswordHash == "" {
		CheckPassword(s.dummyPW, password) // same cost as a real check, so timing does not reveal usernames
		s.fail(username, addr, "unknown user or no password")
		return nil, "", ErrInvalidCredentials
	}
	if !CheckPassword(u.PasswordHash, password) {
		s.fail(username, addr, "wrong password")
		return nil, "", ErrInvalidCredentials
	}
	if !u.IsActive {
		s.log.Warn("login refused: account disabled", "username", username, "addr", addr)
		return nil, "", ErrInactive
	}
	s.logins.Succeeded(username, addr)
	se, cookie, err := s.StartSession(ctx, u, "local", "", addr, userAgent)
	if err != nil {
		return nil, "", err
	}
	s.log.Info("login", "username", username, "method", "local", "addr", addr)
	return NewIdentity(u, se, nil), cookie, nil
}

// dummyHash is a fixed hash with the current parameters, checked for unknown users so that a failed login costs
// the same whether or not the username exists.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("timing equaliser")
	return h
})

func (s *Service) fail(username, addr, why string) {
	s.logins.Fail(username, addr)
	s.log.Warn("login failed", "username", username, "addr", addr, "reason", why)
}

// StartSession creates a session for u (after any successful login) and returns its cookie value.
func (s *Service) StartSession(ctx context.Context, u *store.User, method, idToken, addr, userAgent string) (*store.Session, string, error) {
	cookie := secrets.RandomToken(32)
	now := s.now().UTC()
	se := &store.Session{
		IDHash: secrets.Hash(cookie), UserID: u.ID, CSRFToken: secrets.RandomToken(24), AuthMethod: method,
		IP: addr, UserAgent: truncate(userAgent, 512), CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.opts.SessionLifetime),
	}
	if idToken != "" {
		se.IDTokenEnc = s.keys.Encrypt([]byte(idToken))
	}
	if err := s.store.CreateSession(ctx, se); err != nil {
		return nil, "", err
	}
	if err := s.store.TouchUserLogin(ctx, u.ID, now); err != nil {
		return nil, "", err
	}
	u.LastLoginAt = &now
	return se, cookie, nil
}

// SessionIdentity resolves a session cookie value.
func (s *Service) SessionIdentity(ctx context.Context, cookie string) (*Identity, error) {
	if cookie == "" {
		return nil, ErrNoSession
	}
	now := s.now()
	se, err := s.store.GetSession(ctx, secrets.Hash(cookie), now)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(ctx, se.UserID)
	if err != nil {
		return nil, err
	}
	if !u.IsActive {
		return nil, ErrInactive
	}
	// Activity is written at most once a minute per session, not on every request.
	if now.Sub(se.LastSeenAt) > time.Minute {
		if err := s.store.UpdateSessionSeen(ctx, se.IDHash, now); err != nil {
			s.log.Warn("session activity not recorded", "err", err)
		}
	}
	return NewIdentity(u, se, nil), nil
}

// TokenIdentity resolves an API token.
func (s *Service) TokenIdentity(ctx context.Context, key string) (*Identity, error) {
	t, err := s.store.GetAPITokenByHash(ctx, secrets.Hash(key))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrInvalidCredentials
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
		return nil, ErrTokenExpired
	}
	u, err := s.store.GetUser(ctx, t.UserID)
	if err != nil {
		return nil, err
	}
	if !u.IsActive {
		return nil, ErrInactive
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		if err := s.store.UpdateAPITokenUsed(ctx, t.ID, now); err != nil {
			s.log.Warn("token use not recorded", "err", err)
		}
	}
	return NewIdentity(u, nil, t), nil
}

// CreateToken issues an API token for u and returns it with its secret (shown once).
func (s *Service) CreateToken(ctx context.Context, u *store.User, name string, expiresIn time.Duration) (*store.APIToken, string, error) {
	secret := TokenPrefix + secrets.RandomToken(30)
	t := &store.APIToken{UserID: u.ID, Name: name, Prefix: secret[:len(TokenPrefix)+6], KeyHash: secrets.Hash(secret)}
	if expiresIn > 0 {
		exp := s.now().Add(expiresIn).UTC()
		t.ExpiresAt = &exp
	}
	if err := s.store.CreateAPIToken(ctx, t); err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

// Logout ends the session of id and returns the decrypted ID token (for provider logout), if any.
func (s *Service) Logout(ctx context.Context, id *Identity) (string, error) {
	if id == nil || id.Session == nil {
		return "", nil
	}
	if err := s.store.DeleteSession(ctx, id.Session.IDHash); err != nil {
		return "", err
	}
	s.log.Info("logout", "username", id.User.Username)
	if id.Session.IDTokenEnc == "" {
		return "", nil
	}
	tok, err := s.keys.Decrypt(id.Session.IDTokenEnc)
	if err != nil {
		return "", nil //nolint:nilerr // a stale ID token only means no provider logout hint
	}
	return string(tok), nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// StillValid reports whether an identity resolved earlier is still good: its session or token still exists and its
// user is still active. Long-lived connections (live updates, log streams, proxy tunnels) check it periodically.
func (s *Service) StillValid(ctx context.Context, id *Identity) bool {
	_, ok := s.CurrentUser(ctx, id)
	return ok
}

// CurrentUser returns the identity's user as the store knows it now (superuser flag and all), or false when the
// session or token has ended or the user is gone or inactive. Long-lived connections check rights with it rather
// than with the user as it was when they opened.
func (s *Service) CurrentUser(ctx context.Context, id *Identity) (*store.User, bool) {
	now := s.now()
	switch {
	case id.Session != nil:
		if _, err := s.store.GetSession(ctx, id.Session.IDHash, now); err != nil {
			return nil, false
		}
	case id.Token != nil:
		t, err := s.store.GetAPITokenByHash(ctx, id.Token.KeyHash)
		if err != nil || (t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)) {
			return nil, false
		}
	}
	u, err := s.store.GetUser(ctx, id.User.ID)
	if err != nil || !u.IsActive {
		return nil, false
	}
	return u, true
}
