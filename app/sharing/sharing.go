// Package sharing holds what opens apps beyond their project: the site setting that allows link and public access
// (kept in the database and changed at run time by superusers), and the secret links of link apps. The proxy reads
// both on every request to such an app, so the site setting is held in memory and links are looked up by ID.
package sharing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

// Recorder writes timeline events (timeline.Recorder).
type Recorder interface {
	Record(ctx context.Context, e *store.TimelineEvent)
}

// Timeline event names of sharing. Every change of the site setting and every link created or revoked is one;
// changes of a container's or template's access level are recorded by their owners (container_access,
// template_access).
const (
	EventSiteSettings = "site_settings_update"
	EventLinkCreate   = "link_create"
	EventLinkRevoke   = "link_revoke"
)

// LinkPrefix starts every link secret, so that leaked links are recognisable.
const LinkPrefix = "kl_"

// MaxLinkName bounds a link's name.
const MaxLinkName = 100

// Errors of link requests.
var (
	ErrNotFound = store.ErrNotFound
	// ErrLinkAccessOff: links open an app only while its effective access level is link.
	ErrLinkAccessOff = errors.New("links open this app only while its access level is link and the site allows link access")
)

// Service keeps the site setting and manages links.
type Service struct {
	st   *store.Store
	tl   Recorder
	log  *slog.Logger
	site atomic.Pointer[settings.Sharing]
	now  func() time.Time
}

// New returns the service with the site setting loaded from the store (both off when it was never set).
func New(ctx context.Context, st *store.Store, tl Recorder, log *slog.Logger) (*Service, error) {
	s := &Service{st: st, tl: tl, log: log, now: time.Now}
	cur := settings.Sharing{}
	v, err := st.GetSetting(ctx, store.SettingSharing)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal([]byte(v), &cur); err != nil {
			return nil, fmt.Errorf("site setting %s: %w", store.SettingSharing, err)
		}
	}
	s.site.Store(&cur)
	return s, nil
}

// Site returns the site setting (from memory).
func (s *Service) Site() settings.Sharing {
	if s == nil {
		return settings.Sharing{}
	}
	return *s.site.Load()
}

// SiteChange is a request to change the site setting; absent fields stay.
type SiteChange struct {
	AllowLinkAccess   *bool `json:"allow_link_access"`
	AllowPublicAccess *bool `json:"allow_public_access"`
}

// UpdateSite changes the site setting and records it in the timeline, naming the containers whose access now
// behaves differently. It returns the new setting and those containers.
func (s *Service) UpdateSite(ctx context.Context, user *store.User, in SiteChange) (settings.Sharing, []Affected, error) {
	old := s.Site()
	cur := old
	if in.AllowLinkAccess != nil {
		cur.AllowLinkAccess = *in.AllowLinkAccess
	}
	if in.AllowPublicAccess != nil {
		cur.AllowPublicAccess = *in.AllowPublicAccess
	}
	if cur == old {
		return cur, nil, nil
	}
	b, _ := json.Marshal(cur)
	if err := s.st.UpdateSetting(ctx, store.SettingSharing, string(b)); err != nil {
		return old, nil, err
	}
	s.site.Store(&cur)
	affected, err := s.affected(ctx, old, cur)
	if err != nil {
		s.log.Warn("listing the containers a sharing change affects", "err", err)
	}
	var parts []string
	changed := map[string]any{}
	for _, f := range []struct {
		name, level string
		was, now    bool
	}{{"allow_link_access", settings.AccessLink, old.AllowLinkAccess, cur.AllowLinkAccess},
		{"allow_public_access", settings.AccessPublic, old.AllowPublicAccess, cur.AllowPublicAccess}} {
		if f.was == f.now {
			continue
		}
		changed[f.name] = f.now
		if f.now {
			parts = append(parts, f.level+" access allowed")
		} else {
			parts = append(parts, f.level+" access turned off: "+f.level+" apps behave as project apps until it is allowed again")
		}
	}
	desc := "site setting: " + strings.Join(parts, "; ")
	if len(affected) > 0 {
		desc += fmt.Sprintf(" (%d apps affected)", len(affected))
	}
	if s.tl != nil {
		names := make([]string, 0, len(affected))
		for _, a := range affected {
			names = append(names, a.UUID)
		}
		s.tl.Record(ctx, &store.TimelineEvent{Username: user.Username, EventName: EventSiteSettings, Description: desc,
			Status: store.StatusOK, ObjectType: "site", ExtraData: map[string]any{"changed": changed,
				"allow_link_access": cur.AllowLinkAccess, "allow_public_access": cur.AllowPublicAccess, "affected": names}})
	}
	return cur, affected, nil
}

// Affected is a container whose effective access level a change of the site setting changed.
type Affected struct {
	UUID      string `json:"uuid"`
	Project   string `json:"project"`
	Title     string `json:"title"`
	Access    string `json:"access"`
	Effective string `json:"effective_access"`
}

func (s *Service) affected(ctx context.Context, old, cur settings.Sharing) ([]Affected, error) {
	list, _, err := s.st.ListContainers(ctx, store.ContainerFilter{})
	if err != nil {
		return nil, err
	}
	out := []Affected{}
	for _, c := range list {
		if old.Effective(c.Access) != cur.Effective(c.Access) {
			out = append(out, Affected{UUID: c.UUID, Project: c.ProjectUUID, Title: c.Title, Access: c.Access, Effective: cur.Effective(c.Access)})
		}
	}
	return out, nil
}

// LinkInput is a request to create a link.
type LinkInput struct {
	Name string
	// ExpiresIn is the link's lifetime (0: until revoked).
	ExpiresIn time.Duration
}

// MaxLinkLifetime bounds a link's lifetime.
const MaxLinkLifetime = settings.MaxDuration * time.Second

// Validate checks a link request, by field.
func (in LinkInput) Validate() map[string]string {
	errs := map[string]string{}
	name := strings.TrimSpace(in.Name)
	switch {
	case utf8.RuneCountInString(name) > MaxLinkName:
		errs["name"] = fmt.Sprintf("at most %d characters", MaxLinkName)
	case strings.IndexFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		errs["name"] = "no control characters"
	}
	if in.ExpiresIn < 0 || in.ExpiresIn > MaxLinkLifetime {
		errs["expires_in"] = fmt.Sprintf("must be between 0 (never) and %d seconds", settings.MaxDuration)
	}
	return errs
}

// CreateLink creates a link for c and returns it with its secret (shown once). The container's effective access
// level must be link.
func (s *Service) CreateLink(ctx context.Context, user *store.User, c *store.Container, in LinkInput) (*store.ContainerLink, string, error) {
	if s.Site().Effective(c.Access) != settings.AccessLink {
		return nil, "", ErrLinkAccessOff
	}
	secret := LinkPrefix + secrets.RandomToken(32)
	l := &store.ContainerLink{ContainerUUID: c.UUID, Name: strings.TrimSpace(in.Name), SecretHash: secrets.Hash(secret),
		Prefix: secret[:len(LinkPrefix)+6], CreatedBy: user.Username}
	if in.ExpiresIn > 0 {
		exp := s.now().Add(in.ExpiresIn).UTC().Truncate(time.Second)
		l.ExpiresAt = &exp
	}
	if err := s.st.CreateContainerLink(ctx, l); err != nil {
		return nil, "", err
	}
	extra := map[string]any{"link": l.ID, "name": l.Name, "title": c.Title}
	desc := "created a link to " + c.Title
	if l.ExpiresAt != nil {
		extra["expires_at"] = l.ExpiresAt.Format(time.RFC3339)
		desc += ", valid until " + l.ExpiresAt.Format(time.RFC3339)
	}
	s.record(ctx, user.Username, c, EventLinkCreate, desc, extra)
	return l, secret, nil
}

// Links lists the links of a container (never their secrets).
func (s *Service) Links(ctx context.Context, containerUUID string) ([]*store.ContainerLink, error) {
	return s.st.ListContainerLinks(ctx, containerUUID)
}

// RevokeLink deletes a link of c; whoever holds it loses access at once (the proxy re-checks on the timeline event).
func (s *Service) RevokeLink(ctx context.Context, user *store.User, c *store.Container, id int64) error {
	l, err := s.st.GetContainerLink(ctx, id)
	if err != nil {
		return err
	}
	if l.ContainerUUID != c.UUID {
		return ErrNotFound
	}
	if err := s.st.DeleteContainerLink(ctx, c.UUID, id); err != nil {
		return err
	}
	s.record(ctx, user.Username, c, EventLinkRevoke, "revoked a link to "+c.Title, map[string]any{"link": l.ID, "name": l.Name, "title": c.Title})
	return nil
}

// Link returns a link by ID (ErrNotFound when it was revoked or never existed).
func (s *Service) Link(ctx context.Context, id int64) (*store.ContainerLink, error) {
	return s.st.GetContainerLink(ctx, id)
}

// LinkBySecret returns the link of a secret (ErrNotFound when no link has it) and records that it was opened.
func (s *Service) LinkBySecret(ctx context.Context, secret string) (*store.ContainerLink, error) {
	if !strings.HasPrefix(secret, LinkPrefix) || len(secret) > 128 {
		return nil, ErrNotFound
	}
	l, err := s.st.GetContainerLinkBySecret(ctx, secrets.Hash(secret))
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	if err := s.st.TouchContainerLink(ctx, l.ID, now); err != nil {
		s.log.Warn("link use not recorded", "link", l.ID, "err", err)
	}
	l.UsedAt = &now
	return l, nil
}

func (s *Service) record(ctx context.Context, user string, c *store.Container, name, desc string, extra map[string]any) {
	if s.tl == nil {
		return
	}
	s.tl.Record(ctx, &store.TimelineEvent{ProjectUUID: c.ProjectUUID, Username: user, EventName: name, Description: desc,
		Status: store.StatusOK, ObjectType: "container", ObjectUUID: c.UUID, ExtraData: extra})
}
