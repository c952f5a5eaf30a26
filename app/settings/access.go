package settings

import "fmt"

// Access levels: who may open an app (its container or the containers made from a template).
const (
	// AccessProject: members of the container's project with the role guest and up (the default).
	AccessProject = "project"
	// AccessSite: any active kiosc user who is logged in; project members keep their roles for management.
	AccessSite = "site"
	// AccessLink: besides the project's members, anyone holding one of the container's secret, revocable links; no
	// account needed.
	AccessLink = "link"
	// AccessPublic: anyone, without an account.
	AccessPublic = "public"
)

// AccessLevels lists the access levels, the default first.
var AccessLevels = []string{AccessProject, AccessSite, AccessLink, AccessPublic}

// Sharing is the site's runtime setting of how far apps may be opened beyond kiosc's users: link and public access
// are allowed only while a superuser has turned them on (both off by default).
type Sharing struct {
	AllowLinkAccess   bool `json:"allow_link_access"`
	AllowPublicAccess bool `json:"allow_public_access"`
}

// Allows reports whether the site lets containers and templates choose an access level.
func (s Sharing) Allows(access string) bool {
	switch access {
	case AccessLink:
		return s.AllowLinkAccess
	case AccessPublic:
		return s.AllowPublicAccess
	}
	return true
}

// Effective is the access level an app has now: its own, except that link and public access behave as project
// access while the site does not allow them. An empty level (records from before access levels) is project.
func (s Sharing) Effective(access string) string {
	if access == "" || !s.Allows(access) {
		return AccessProject
	}
	return access
}

// accessError returns why an access level cannot be chosen on this site ("" when it can).
func (s Sharing) accessError(access string) string {
	switch access {
	case AccessProject, AccessSite:
		return ""
	case AccessLink:
		if !s.AllowLinkAccess {
			return "link access is turned off on this site; a superuser can allow it in the site settings"
		}
		return ""
	case AccessPublic:
		if !s.AllowPublicAccess {
			return "public access is turned off on this site; a superuser can allow it in the site settings"
		}
		return ""
	}
	return fmt.Sprintf("must be one of %q, %q, %q or %q", AccessProject, AccessSite, AccessLink, AccessPublic)
}
