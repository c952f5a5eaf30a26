// Package oidcop is a real OpenID Provider for tests, built on zitadel's example OP: discovery, signed ID tokens,
// PKCE S256, nonce, userinfo, end-session. Its users carry a preferred_username of our choice and a groups claim
// (in userinfo, as many providers do; the ID token holds only sub).
package oidcop

import (
	"context"
	"net/http"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// User is an account at the provider. ID becomes the sub claim, Username the preferred_username.
type User struct {
	ID         string
	Username   string
	Password   string
	GivenName  string
	FamilyName string
	Email      string
	Groups     []string
}

// Config describes the provider and its one client.
type Config struct {
	Issuer         string // e.g. http://127.0.0.1:9000 (no trailing slash)
	ClientID       string
	ClientSecret   string
	RedirectURIs   []string
	PostLogoutURIs []string
	Users          []User
}

// LoginPath is where the provider's login form is POSTed (fields id, username, password).
const LoginPath = "/login/username"

// New returns the provider's HTTP handler.
func New(cfg Config) http.Handler {
	users := userStore{}
	groups := map[string][]string{}
	for _, u := range cfg.Users {
		users[u.ID] = &storage.User{ID: u.ID, Username: u.Username, Password: u.Password, FirstName: u.GivenName,
			LastName: u.FamilyName, Email: u.Email, EmailVerified: true}
		groups[u.ID] = u.Groups
	}
	clients := map[string]*storage.Client{cfg.ClientID: storage.WebClient(cfg.ClientID, cfg.ClientSecret, cfg.RedirectURIs...)}
	st := &opStorage{Storage: storage.NewStorageWithClients(users, clients), groups: groups, postLogout: cfg.PostLogoutURIs}
	return exampleop.SetupServer(cfg.Issuer, st, nil, false)
}

type userStore map[string]*storage.User

func (u userStore) GetUserByID(id string) *storage.User { return u[id] }

func (u userStore) GetUserByUsername(username string) *storage.User {
	for _, x := range u {
		if x.Username == username {
			return x
		}
	}
	return nil
}

func (u userStore) ExampleClientID() string { return storage.ServiceUserID }

// opStorage adds the groups claim and registered post-logout redirect URIs to the example storage.
type opStorage struct {
	*storage.Storage
	groups     map[string][]string
	postLogout []string
}

func (s *opStorage) addGroups(info *oidc.UserInfo, subject string) {
	if g := s.groups[subject]; len(g) > 0 {
		info.AppendClaims("groups", g)
	}
}

// SetUserinfoFromToken serves the userinfo endpoint.
func (s *opStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := s.Storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin); err != nil {
		return err
	}
	s.addGroups(info, info.Subject)
	return nil
}

// SetUserinfoFromRequest fills ID token claims when the client asks for them there.
func (s *opStorage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, req, scopes); err != nil {
		return err
	}
	if len(scopes) > 0 {
		s.addGroups(info, req.GetSubject())
	}
	return nil
}

// GetClientByClientID returns the client with its post-logout redirect URIs.
func (s *opStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return logoutClient{Client: c, uris: s.postLogout}, nil
}

type logoutClient struct {
	op.Client
	uris []string
}

func (c logoutClient) PostLogoutRedirectURIs() []string { return c.uris }
