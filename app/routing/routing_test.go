package routing

import (
	"net/url"
	"testing"
)

func TestApps(t *testing.T) {
	const id = "7f1c2e0a-0000-4000-8000-00000000beef"
	base, _ := url.Parse("https://kiosc.example.org")
	appBase, _ := url.Parse("https://kiosc.example.org:8443")
	tests := []struct {
		name                     string
		apps                     Apps
		origin, basePath, public string
		open                     string
		atRoot, shared           bool
	}{
		{"app-origin", Apps{Mode: AppOrigin, Base: base, AppBase: appBase}, "https://kiosc.example.org:8443",
			"/containers/proxy/" + id + "/", "https://kiosc.example.org:8443/containers/proxy/" + id + "/",
			"https://kiosc.example.org:8443/containers/proxy/" + id + "/lab", false, true},
		{"subdomain", Apps{Mode: Subdomain, Base: base, Domain: "apps.example.org"}, "https://" + id + ".apps.example.org",
			"/", "https://" + id + ".apps.example.org/", "https://" + id + ".apps.example.org/lab", true, false},
		{"path", Apps{Mode: Path, Base: base}, "https://kiosc.example.org",
			"/containers/proxy/" + id + "/", "https://kiosc.example.org/containers/proxy/" + id + "/",
			"/containers/proxy/" + id + "/lab", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.apps
			if got := a.Origin(id); got != tt.origin {
				t.Errorf("Origin = %q, want %q", got, tt.origin)
			}
			if got := a.BasePath(id); got != tt.basePath {
				t.Errorf("BasePath = %q, want %q", got, tt.basePath)
			}
			if got := a.PublicURL(id); got != tt.public {
				t.Errorf("PublicURL = %q, want %q", got, tt.public)
			}
			if got := a.OpenURL(id, "/lab"); got != tt.open {
				t.Errorf("OpenURL = %q, want %q", got, tt.open)
			}
			if a.AtRoot() != tt.atRoot || a.SharedOrigin() != tt.shared {
				t.Errorf("AtRoot, SharedOrigin = %v, %v", a.AtRoot(), a.SharedOrigin())
			}
		})
	}
}
