package config

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaults(t *testing.T) {
	c, err := Load(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.BaseURL.String() != "http://127.0.0.1:8080" || c.DataDir != "./kiosc-data" {
		t.Errorf("unexpected defaults: %+v", c)
	}
	if c.NetworkMode != NetworkDefaultBridge || c.HostBindIP.String() != "127.0.0.1" || !c.LocalLogin {
		t.Errorf("unexpected defaults: %+v", c)
	}
	if c.ResyncInterval != 15*time.Second || c.MaxIdle != 8*time.Hour || c.MaxLifetime != 0 || c.RemoveStoppedAfter != 168*time.Hour {
		t.Errorf("unexpected durations: %+v", c)
	}
	if c.RemoveVolumesAfter != 30*24*time.Hour || c.DefaultUser != "" {
		t.Errorf("unexpected volume defaults: %v %q", c.RemoveVolumesAfter, c.DefaultUser)
	}
	if strings.Join(c.OIDCScopes, " ") != "openid profile email" || c.OIDCUsernameClaim != "preferred_username" || c.LogRetentionLines != 10000 {
		t.Errorf("unexpected OIDC defaults: %+v", c)
	}
	if c.AnonymousStartEvery != time.Minute || c.AnonymousStartsPerMinute != 3 {
		t.Errorf("unexpected anonymous start limits: %v, %d", c.AnonymousStartEvery, c.AnonymousStartsPerMinute)
	}
	if c.SecureCookies() {
		t.Error("http base URL must not give secure cookies")
	}
}

func TestFlagsWinOverEnv(t *testing.T) {
	c, err := Load([]string{"--listen", "127.0.0.1:9999", "--local-login=false", "--break-glass-user", "root"},
		env(map[string]string{"KIOSC_LISTEN": "127.0.0.1:1111", "KIOSC_BASE_URL": "https://kiosc.example.org/"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9999" || c.LocalLogin || c.BreakGlassUser != "root" {
		t.Errorf("flags did not win: %+v", c)
	}
	if c.BaseURL.String() != "https://kiosc.example.org" || !c.SecureCookies() {
		t.Errorf("base URL: %v", c.BaseURL)
	}
}

func TestInvalidValuesNameTheVariable(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"network mode", map[string]string{"KIOSC_NETWORK_MODE": "host"}, nil, "KIOSC_NETWORK_MODE"},
		{"network mode flag", nil, []string{"--network-mode=bogus"}, "default-bridge, private-bridges"},
		{"listen", map[string]string{"KIOSC_LISTEN": "8080"}, nil, "KIOSC_LISTEN"},
		{"base url", map[string]string{"KIOSC_BASE_URL": "ftp://x"}, nil, "KIOSC_BASE_URL"},
		{"bind ip", map[string]string{"KIOSC_HOST_BIND_IP": "localhost"}, nil, "KIOSC_HOST_BIND_IP"},
		{"duration", map[string]string{"KIOSC_MAX_IDLE": "forever"}, nil, "KIOSC_MAX_IDLE"},
		{"negative duration", map[string]string{"KIOSC_RESYNC_INTERVAL": "-1s"}, nil, "KIOSC_RESYNC_INTERVAL"},
		{"memory", map[string]string{"KIOSC_MAX_MEMORY": "lots"}, nil, "KIOSC_MAX_MEMORY"},
		{"cpus", map[string]string{"KIOSC_MAX_CPUS": "0"}, nil, "KIOSC_MAX_CPUS"},
		{"pids", map[string]string{"KIOSC_MAX_PIDS": "1.5"}, nil, "KIOSC_MAX_PIDS"},
		{"default memory", map[string]string{"KIOSC_DEFAULT_MEMORY": "1k"}, nil, "KIOSC_DEFAULT_MEMORY"},
		{"default cpus", map[string]string{"KIOSC_DEFAULT_CPUS": "many"}, nil, "KIOSC_DEFAULT_CPUS"},
		{"default pids", map[string]string{"KIOSC_DEFAULT_PIDS": "0"}, nil, "KIOSC_DEFAULT_PIDS"},
		{"default memory over the maximum", map[string]string{"KIOSC_MAX_MEMORY": "1g", "KIOSC_DEFAULT_MEMORY": "2g"}, nil,
			"KIOSC_DEFAULT_MEMORY (flag --default-memory) = \"2147483648\": exceeds KIOSC_MAX_MEMORY (1073741824 bytes)"},
		{"default cpus over the maximum", map[string]string{"KIOSC_MAX_CPUS": "1", "KIOSC_DEFAULT_CPUS": "1.5"}, nil,
			"KIOSC_DEFAULT_CPUS (flag --default-cpus) = \"1.5\": exceeds KIOSC_MAX_CPUS (1 CPUs)"},
		{"default pids over the maximum", nil, []string{"--max-pids=100", "--default-pids=101"},
			"KIOSC_DEFAULT_PIDS (flag --default-pids) = \"101\": exceeds KIOSC_MAX_PIDS (100 processes)"},
		{"registry with scheme", map[string]string{"KIOSC_ALLOWED_REGISTRIES": "docker.io https://ghcr.io"}, nil, "KIOSC_ALLOWED_REGISTRIES"},
		{"registry with path", map[string]string{"KIOSC_ALLOWED_REGISTRIES": "ghcr.io/org"}, nil, "KIOSC_ALLOWED_REGISTRIES"},
		{"registry port", map[string]string{"KIOSC_ALLOWED_REGISTRIES": "registry.example.org:port"}, nil, "KIOSC_ALLOWED_REGISTRIES"},
		{"retention", map[string]string{"KIOSC_LOG_RETENTION_LINES": "-3"}, nil, "KIOSC_LOG_RETENTION_LINES"},
		{"anonymous start interval", map[string]string{"KIOSC_ANONYMOUS_START_EVERY": "0"}, nil, "KIOSC_ANONYMOUS_START_EVERY"},
		{"anonymous starts per minute", nil, []string{"--anonymous-starts-per-minute=0"}, "KIOSC_ANONYMOUS_STARTS_PER_MINUTE (flag --anonymous-starts-per-minute)"},
		{"default user", map[string]string{"KIOSC_DEFAULT_USER": "jo van"}, nil, "KIOSC_DEFAULT_USER (flag --default-user)"},
		{"default user id", nil, []string{"--default-user=1000:99999999999"}, "KIOSC_DEFAULT_USER"},
		{"volume retention", map[string]string{"KIOSC_REMOVE_VOLUMES_AFTER": "a month"}, nil, "KIOSC_REMOVE_VOLUMES_AFTER"},
		{"bool", map[string]string{"KIOSC_LOCAL_LOGIN": "maybe"}, nil, "KIOSC_LOCAL_LOGIN"},
		{"log level", map[string]string{"KIOSC_LOG_LEVEL": "loud"}, nil, "KIOSC_LOG_LEVEL"},
		{"oidc without client", map[string]string{"KIOSC_OIDC_ISSUER": "https://idp.example.org"}, nil, "KIOSC_OIDC_CLIENT_ID"},
		{"sodar without secret", map[string]string{"KIOSC_SODAR_URL": "https://sodar.example.org"}, nil, "KIOSC_SODAR_SECRET"},
		{"nobody can log in", map[string]string{"KIOSC_LOCAL_LOGIN": "false"}, nil, "KIOSC_LOCAL_LOGIN"},
		{"short secret", map[string]string{"KIOSC_SECRET_KEY": "short"}, nil, "KIOSC_SECRET_KEY"},
		{"proxy domain", map[string]string{"KIOSC_PROXY_DOMAIN": "https://apps.example.org"}, nil, "KIOSC_PROXY_DOMAIN"},
		{"trusted proxies", map[string]string{"KIOSC_TRUSTED_PROXIES": "10.0.0.0/8,nope"}, nil, "KIOSC_TRUSTED_PROXIES"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.args, env(tc.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestSecretsAreNotEchoed(t *testing.T) {
	_, err := Load(nil, env(map[string]string{"KIOSC_SECRET_KEY": "tooshort-but-secret"}), io.Discard)
	var ce *Error
	if !errors.As(err, &ce) || strings.Contains(err.Error(), "tooshort") {
		t.Fatalf("secret value leaked or wrong error: %v", err)
	}
}

func TestProxyModes(t *testing.T) {
	for _, tc := range []struct {
		name               string
		env                map[string]string
		mode               string
		appListen, appBase string
		warnings           int
	}{
		{"default: apps on the next port", nil, "app-origin", "127.0.0.1:8081", "http://127.0.0.1:8081", 0},
		{"all interfaces", map[string]string{"KIOSC_LISTEN": ":9000"}, "app-origin", ":9001", "http://localhost:9001", 0},
		{"front proxy derives the app port and warns", map[string]string{"KIOSC_BASE_URL": "https://kiosc.example.org"},
			"app-origin", "127.0.0.1:8081", "https://kiosc.example.org:8081", 1},
		{"explicit app listener", map[string]string{"KIOSC_BASE_URL": "https://kiosc.example.org", "KIOSC_APP_LISTEN": "0.0.0.0:7000",
			"KIOSC_APP_BASE_URL": "https://apps.example-apps.org"}, "app-origin", "0.0.0.0:7000", "https://apps.example-apps.org", 0},
		{"a domain selects subdomain mode", map[string]string{"KIOSC_PROXY_DOMAIN": "apps.example.org"}, "subdomain", "", "", 0},
		{"path mode is an opt-in with a warning", map[string]string{"KIOSC_PROXY_MODE": "path"}, "path", "", "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(nil, env(tc.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if string(c.ProxyMode) != tc.mode || c.AppListen != tc.appListen {
				t.Errorf("mode %q app listen %q, want %q %q", c.ProxyMode, c.AppListen, tc.mode, tc.appListen)
			}
			got := ""
			if c.AppBaseURL != nil {
				got = c.AppBaseURL.String()
			}
			if got != tc.appBase {
				t.Errorf("app base URL %q, want %q", got, tc.appBase)
			}
			if len(c.Warnings()) != tc.warnings {
				t.Errorf("warnings %q, want %d", c.Warnings(), tc.warnings)
			}
			if c.Apps().Mode != c.ProxyMode {
				t.Errorf("Apps() mode %q", c.Apps().Mode)
			}
		})
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"unknown mode", map[string]string{"KIOSC_PROXY_MODE": "both"}, "KIOSC_PROXY_MODE"},
		{"subdomain without a domain", map[string]string{"KIOSC_PROXY_MODE": "subdomain"}, "KIOSC_PROXY_DOMAIN"},
		{"app-origin with a domain", map[string]string{"KIOSC_PROXY_MODE": "app-origin", "KIOSC_PROXY_DOMAIN": "apps.example.org"}, "KIOSC_PROXY_MODE"},
		{"same port as kiosc", map[string]string{"KIOSC_APP_LISTEN": "0.0.0.0:8080"}, "KIOSC_APP_LISTEN"},
		{"same origin as kiosc", map[string]string{"KIOSC_APP_BASE_URL": "http://127.0.0.1:8080"}, "KIOSC_APP_BASE_URL"},
		{"plain http apps for an https kiosc", map[string]string{"KIOSC_BASE_URL": "https://k.example.org", "KIOSC_APP_BASE_URL": "http://apps.example.org"}, "KIOSC_APP_BASE_URL"},
		{"app base URL with a path", map[string]string{"KIOSC_APP_BASE_URL": "http://apps.example.org/x"}, "KIOSC_APP_BASE_URL"},
		{"app listener without a port", map[string]string{"KIOSC_APP_LISTEN": "8081"}, "KIOSC_APP_LISTEN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(nil, env(tc.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error naming %s", err, tc.want)
			}
		})
	}
}

func TestSiteDefaultsAndRegistries(t *testing.T) {
	for _, tc := range []struct {
		name       string
		env        map[string]string
		memory     int64
		cpus       float64
		pids       int64
		registries []string
	}{
		{"unset", nil, 0, 0, 0, nil},
		{"defaults without maxima", map[string]string{"KIOSC_DEFAULT_MEMORY": "512m", "KIOSC_DEFAULT_CPUS": "0.5",
			"KIOSC_DEFAULT_PIDS": "200"}, 512 << 20, 0.5, 200, nil},
		{"defaults equal to the maxima", map[string]string{"KIOSC_MAX_MEMORY": "1g", "KIOSC_DEFAULT_MEMORY": "1024m",
			"KIOSC_MAX_CPUS": "2", "KIOSC_DEFAULT_CPUS": "2", "KIOSC_MAX_PIDS": "300", "KIOSC_DEFAULT_PIDS": "300"}, 1 << 30, 2, 300, nil},
		{"registries comma and space separated", map[string]string{"KIOSC_ALLOWED_REGISTRIES": "docker.io, GHCR.io registry.example.org:5000,[::1]:5000"},
			0, 0, 0, []string{"docker.io", "ghcr.io", "registry.example.org:5000", "[::1]:5000"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(nil, env(tc.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if c.DefaultMemory != tc.memory || c.DefaultCPUs != tc.cpus || c.DefaultPIDs != tc.pids ||
				strings.Join(c.AllowedRegistries, " ") != strings.Join(tc.registries, " ") {
				t.Errorf("memory %d cpus %g pids %d registries %q", c.DefaultMemory, c.DefaultCPUs, c.DefaultPIDs, c.AllowedRegistries)
			}
		})
	}
}

func TestDefaultUserAndVolumeRetention(t *testing.T) {
	c, err := Load([]string{"--default-user", "jovyan:users"}, env(map[string]string{"KIOSC_REMOVE_VOLUMES_AFTER": "0"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.DefaultUser != "jovyan:users" || c.RemoveVolumesAfter != 0 {
		t.Errorf("user %q retention %v", c.DefaultUser, c.RemoveVolumesAfter)
	}
	if c, err = Load(nil, env(map[string]string{"KIOSC_DEFAULT_USER": "1000:100", "KIOSC_REMOVE_VOLUMES_AFTER": "7d"}), io.Discard); err != nil ||
		c.DefaultUser != "1000:100" || c.RemoveVolumesAfter != 7*24*time.Hour {
		t.Errorf("user %q retention %v: %v", c.DefaultUser, c.RemoveVolumesAfter, err)
	}
}
