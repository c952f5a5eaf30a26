package settings

import "testing"

func TestAccessValidation(t *testing.T) {
	str := func(s string) *string { return &s }
	for _, tc := range []struct {
		access string
		site   Sharing
		ok     bool
	}{
		{AccessProject, Sharing{}, true},
		{AccessSite, Sharing{}, true},
		{AccessLink, Sharing{}, false},
		{AccessPublic, Sharing{}, false},
		{AccessLink, Sharing{AllowLinkAccess: true}, true},
		{AccessPublic, Sharing{AllowLinkAccess: true}, false},
		{AccessPublic, Sharing{AllowPublicAccess: true}, true},
		{"everyone", Sharing{AllowLinkAccess: true, AllowPublicAccess: true}, false},
		{"", Sharing{}, false},
	} {
		errs := (&Patch{Access: str(tc.access)}).Validate(false, Limits{Sharing: tc.site})
		if got := errs["access"] == ""; got != tc.ok {
			t.Errorf("access %q with %+v: error %q, want ok=%v", tc.access, tc.site, errs["access"], tc.ok)
		}
	}
	if msg := (&Patch{Access: str(AccessPublic)}).Validate(false, Limits{})["access"]; msg == "" ||
		msg != "public access is turned off on this site; a superuser can allow it in the site settings" {
		t.Errorf("message %q", msg)
	}
}

func TestEffectiveAccess(t *testing.T) {
	off, on := Sharing{}, Sharing{AllowLinkAccess: true, AllowPublicAccess: true}
	for _, tc := range []struct{ access, off, on string }{
		{"", AccessProject, AccessProject},
		{AccessProject, AccessProject, AccessProject},
		{AccessSite, AccessSite, AccessSite},
		{AccessLink, AccessProject, AccessLink},
		{AccessPublic, AccessProject, AccessPublic},
	} {
		if got := off.Effective(tc.access); got != tc.off {
			t.Errorf("%q while off: %q, want %q", tc.access, got, tc.off)
		}
		if got := on.Effective(tc.access); got != tc.on {
			t.Errorf("%q while on: %q, want %q", tc.access, got, tc.on)
		}
	}
}
