package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bihealth/kiosc/app/routing"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/units"
)

// Option describes one setting: its variable, flag, default and meaning. The README's table is generated from the
// same list, so the documentation cannot drift from the code.
type Option struct {
	Env     string
	Flag    string
	Default string
	Usage   string
	bool    bool
	apply   func(c *Config, v string) error
}

// Options lists every setting of `kiosc serve`.
func Options() []Option {
	return []Option{
		{Env: "KIOSC_LISTEN", Default: "127.0.0.1:8080", Usage: "address to serve on", apply: func(c *Config, v string) error {
			if _, _, err := net.SplitHostPort(v); err != nil {
				return errors.New("must be host:port, e.g. 127.0.0.1:8080 or :8080")
			}
			c.Listen = v
			return nil
		}},
		{Env: "KIOSC_BASE_URL", Default: "http://<listen>", Usage: "external URL (OIDC redirect, links, Secure cookies under https)", apply: func(c *Config, v string) error {
			if v == "" || v == "http://<listen>" {
				return nil // derived from the listen address in finish()
			}
			u, err := parseBaseURL(v)
			if err != nil {
				return err
			}
			c.BaseURL = u
			return nil
		}},
		{Env: "KIOSC_DATA_DIR", Default: "./kiosc-data", Usage: "SQLite file, generated keys", apply: func(c *Config, v string) error {
			if strings.TrimSpace(v) == "" {
				return errors.New("must not be empty")
			}
			c.DataDir = v
			return nil
		}},
		{Env: "KIOSC_SECRET_KEY", Default: "", Usage: "encrypts secrets at rest, signs cookies (default: generated into the data dir, mode 0600)", apply: func(c *Config, v string) error {
			if v != "" && len(v) < 32 {
				return errors.New("must be at least 32 characters")
			}
			c.SecretKey = v
			return nil
		}},
		{Env: "KIOSC_ADMIN_PASSWORD", Default: "", Usage: "password of the bootstrap superuser admin (default: random on first start, printed once)", apply: func(c *Config, v string) error {
			if v != "" && len(v) < 8 {
				return errors.New("must be at least 8 characters")
			}
			c.AdminPassword = v
			return nil
		}},
		{Env: "KIOSC_NETWORK_MODE", Default: NetworkDefaultBridge, Usage: "default-bridge or private-bridges (always private-bridges with KIOSC_RUNTIME=swarm)", apply: func(c *Config, v string) error {
			if v != NetworkDefaultBridge && v != NetworkPrivateBridges {
				return fmt.Errorf("accepted values: %s, %s", NetworkDefaultBridge, NetworkPrivateBridges)
			}
			c.NetworkMode = v
			return nil
		}},
		{Env: "KIOSC_RUNTIME", Default: RuntimeDocker, Usage: "where apps run: docker (the engine of DOCKER_HOST) or swarm (services on the Docker Swarm whose manager that engine is)", apply: func(c *Config, v string) error {
			if v != RuntimeDocker && v != RuntimeSwarm {
				return fmt.Errorf("accepted values: %s, %s", RuntimeDocker, RuntimeSwarm)
			}
			c.Runtime = v
			return nil
		}},
		{Env: "KIOSC_SWARM_PLACEMENT", Default: "", Usage: "placement constraints of every app on Swarm, comma separated, e.g. node.labels.kiosc==apps (unset: any node)", apply: func(c *Config, v string) error {
			for _, p := range splitList(v) {
				if msg := settings.PlacementError(p); msg != "" {
					return fmt.Errorf("%q: %s", p, msg)
				}
				c.SwarmPlacement = append(c.SwarmPlacement, p)
			}
			return nil
		}},
		{Env: "KIOSC_HOST_BIND_IP", Default: "127.0.0.1", Usage: "host address that published container ports bind to", apply: func(c *Config, v string) error {
			a, err := netip.ParseAddr(v)
			if err != nil {
				return errors.New("must be an IP address, e.g. 127.0.0.1")
			}
			c.HostBindIP = a
			return nil
		}},
		durationOpt("KIOSC_RESYNC_INTERVAL", "15s", "full Docker resync besides the event stream", time.Second, func(c *Config) *time.Duration { return &c.ResyncInterval }),
		durationOpt("KIOSC_DEFAULT_STARTUP_TIMEOUT", "5m", "how long a container may take to answer its probe", time.Second, func(c *Config) *time.Duration { return &c.DefaultStartupTimeout }),
		durationOpt("KIOSC_MAX_IDLE", "8h", "site-wide maximum idle time before an app is stopped", time.Minute, func(c *Config) *time.Duration { return &c.MaxIdle }),
		durationOpt("KIOSC_MAX_LIFETIME", "0", "site-wide maximum run time of an app (0 = none)", 0, func(c *Config) *time.Duration { return &c.MaxLifetime }),
		durationOpt("KIOSC_REMOVE_STOPPED_AFTER", "168h", "Docker containers stopped this long are removed (record kept, state deleted; 0 = never)", 0, func(c *Config) *time.Duration { return &c.RemoveStoppedAfter }),
		memoryOpt("KIOSC_MAX_MEMORY", "site-wide cap on container memory (bytes, or with a unit: 512m, 4g)", func(c *Config) *int64 { return &c.MaxMemory }),
		cpusOpt("KIOSC_MAX_CPUS", "site-wide cap on container CPUs (e.g. 2 or 0.5)", func(c *Config) *float64 { return &c.MaxCPUs }),
		pidsOpt("KIOSC_MAX_PIDS", "site-wide cap on processes per container", func(c *Config) *int64 { return &c.MaxPIDs }),
		memoryOpt("KIOSC_DEFAULT_MEMORY", "memory of containers that set none (at most KIOSC_MAX_MEMORY; unset: the maximum)", func(c *Config) *int64 { return &c.DefaultMemory }),
		cpusOpt("KIOSC_DEFAULT_CPUS", "CPUs of containers that set none (at most KIOSC_MAX_CPUS; unset: the maximum)", func(c *Config) *float64 { return &c.DefaultCPUs }),
		pidsOpt("KIOSC_DEFAULT_PIDS", "processes of containers that set none (at most KIOSC_MAX_PIDS; unset: the maximum)", func(c *Config) *int64 { return &c.DefaultPIDs }),
		{Env: "KIOSC_DEFAULT_USER", Default: "", Usage: "user that containers which name none run as: uid[:gid] or a name the images know (unset: each image's user)", apply: func(c *Config, v string) error {
			v = strings.TrimSpace(v)
			if msg := settings.UserError(v); msg != "" {
				return errors.New(msg)
			}
			c.DefaultUser = v
			return nil
		}},
		durationOpt("KIOSC_REMOVE_VOLUMES_AFTER", "30d", "volumes of deleted containers are kept this long, then removed by the remove-volumes task (0 = kept until removed on request)", 0, func(c *Config) *time.Duration { return &c.RemoveVolumesAfter }),
		{Env: "KIOSC_ALLOWED_REGISTRIES", Default: "", Usage: "registries images may come from, comma or space separated (unset: any)", apply: func(c *Config, v string) error {
			for _, r := range splitList(strings.ToLower(v)) {
				if !registryHost.MatchString(r) {
					return fmt.Errorf("%q is not a registry host such as docker.io, ghcr.io or registry.example.org:5000", r)
				}
				c.AllowedRegistries = append(c.AllowedRegistries, r)
			}
			return nil
		}},
		{Env: "KIOSC_MAX_RESERVED", Default: "", Usage: "cap on what running apps reserve together by their limits, absolute or a share of the Docker host, e.g. cpu=150%,memory=90% (unset: none)", apply: func(c *Config, v string) error {
			r, err := settings.ParseReserveCap(v, units.ParseBytes)
			if err != nil {
				return err
			}
			c.MaxReserved = r
			return nil
		}},
		intOpt("KIOSC_LOG_RETENTION_LINES", "10000", "Docker log lines kept per container", 0, 10_000_000,
			func(c *Config) *int { return &c.LogRetentionLines }),
		durationOpt("KIOSC_ANONYMOUS_START_EVERY", "1m", "visitors without an account (public and link apps) start one app at most once per this interval", time.Second,
			func(c *Config) *time.Duration { return &c.AnonymousStartEvery }),
		intOpt("KIOSC_ANONYMOUS_STARTS_PER_MINUTE", "3", "app starts per minute one client address without an account may make", 1, 10_000,
			func(c *Config) *int { return &c.AnonymousStartsPerMinute }),
		{Env: "KIOSC_OIDC_ISSUER", Default: "", Usage: "OIDC provider issuer URL (unset: OIDC off)", apply: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return errors.New("must be an absolute http(s) URL, exactly as the provider's discovery document states it")
			}
			c.OIDCIssuer = v
			return nil
		}},
		stringOpt("KIOSC_OIDC_CLIENT_ID", "", "OIDC client ID", func(c *Config) *string { return &c.OIDCClientID }),
		stringOpt("KIOSC_OIDC_CLIENT_SECRET", "", "OIDC client secret", func(c *Config) *string { return &c.OIDCClientSecret }),
		listOpt("KIOSC_OIDC_SCOPES", "openid profile email", "OIDC scopes (groups is added when superuser groups are set and offered)", func(c *Config) *[]string { return &c.OIDCScopes }),
		stringOpt("KIOSC_OIDC_USERNAME_CLAIM", "preferred_username", "claim that becomes the kiosc username (must equal the SODAR username)", func(c *Config) *string { return &c.OIDCUsernameClaim }),
		listOpt("KIOSC_OIDC_SUPERUSER_GROUPS", "", "group names whose members are superusers (comma or space separated)", func(c *Config) *[]string { return &c.OIDCSuperuserGroups }),
		stringOpt("KIOSC_OIDC_GROUPS_CLAIM", "groups", "claim that lists the user's groups", func(c *Config) *string { return &c.OIDCGroupsClaim }),
		boolOpt("KIOSC_LOCAL_LOGIN", "true", "allow local username/password login", func(c *Config) *bool { return &c.LocalLogin }),
		stringOpt("KIOSC_BREAK_GLASS_USER", "", "local superuser who may still log in with a password when KIOSC_LOCAL_LOGIN=false", func(c *Config) *string { return &c.BreakGlassUser }),
		durationOpt("KIOSC_SESSION_LIFETIME", "168h", "how long a login session lasts", time.Minute, func(c *Config) *time.Duration { return &c.SessionLifetime }),
		{Env: "KIOSC_SODAR_URL", Default: "", Usage: "SODAR source site URL (unset: standalone)", apply: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return errors.New("must be an absolute http(s) URL, e.g. https://sodar.example.org")
			}
			c.SodarURL = strings.TrimRight(v, "/")
			return nil
		}},
		stringOpt("KIOSC_SODAR_SECRET", "", "remote-site secret given by the SODAR source", func(c *Config) *string { return &c.SodarSecret }),
		durationOpt("KIOSC_SODAR_SYNC_INTERVAL", "5m", "how often projects, users and roles are pulled from SODAR", 10*time.Second, func(c *Config) *time.Duration { return &c.SodarSyncInterval }),
		stringOpt("KIOSC_SODAR_DEFAULT_OWNER", "admin", "kiosc user who owns SODAR projects whose owner is a SODAR-local account", func(c *Config) *string { return &c.SodarDefaultOwner }),
		{Env: "KIOSC_PROXY_DOMAIN", Default: "", Usage: "enables subdomain routing <container-uuid>.<domain>", apply: func(c *Config, v string) error {
			v = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(v)), ".")
			if v == "" {
				return nil
			}
			// A port is allowed for development (apps.localhost:8080); behind a front proxy there is none.
			host, port, hasPort := strings.Cut(v, ":")
			if strings.ContainsAny(host, "/:*@ ") || strings.HasPrefix(port, "//") || !strings.Contains(host, ".") && host != "localhost" {
				return errors.New("must be a DNS domain such as apps.example.org (no scheme or wildcard; a port only for development)")
			}
			if n, err := strconv.Atoi(port); hasPort && (err != nil || n < 1 || n > 65535) {
				return errors.New("the port after the domain must be a number from 1 to 65535")
			}
			c.ProxyDomain = v
			return nil
		}},
		{Env: "KIOSC_PROXY_MODE", Default: string(routing.AppOrigin), Usage: "where apps are served: app-origin (a listener of their own), subdomain (KIOSC_PROXY_DOMAIN; the default when it is set) or path (kiosc's own origin, trusted apps only)", apply: func(c *Config, v string) error {
			for _, m := range routing.Modes {
				if v == string(m) {
					c.ProxyMode = m
					return nil
				}
			}
			return errors.New("accepted values: app-origin, subdomain, path")
		}},
		{Env: "KIOSC_APP_LISTEN", Default: "<listen port + 1>", Usage: "address the app listener serves on (app-origin mode)", apply: func(c *Config, v string) error {
			if v == "" || v == "<listen port + 1>" {
				return nil // derived from the listen address in finish()
			}
			if _, _, err := net.SplitHostPort(v); err != nil {
				return errors.New("must be host:port, e.g. 127.0.0.1:8081 or :8081")
			}
			c.AppListen = v
			return nil
		}},
		{Env: "KIOSC_APP_BASE_URL", Default: "<base URL, app port>", Usage: "external URL of the app listener (app-origin mode)", apply: func(c *Config, v string) error {
			if v == "" || v == "<base URL, app port>" {
				return nil // derived in finish()
			}
			u, err := parseBaseURL(v)
			if err != nil {
				return err
			}
			c.AppBaseURL = u
			return nil
		}},
		{Env: "KIOSC_TRUSTED_PROXIES", Default: "", Usage: "addresses or CIDR ranges of front proxies whose X-Forwarded-For is trusted", apply: func(c *Config, v string) error {
			for _, f := range splitList(v) {
				if p, err := netip.ParsePrefix(f); err == nil {
					c.TrustedProxies = append(c.TrustedProxies, p)
					continue
				}
				a, err := netip.ParseAddr(f)
				if err != nil {
					return fmt.Errorf("%q is not an IP address or CIDR range", f)
				}
				c.TrustedProxies = append(c.TrustedProxies, netip.PrefixFrom(a, a.BitLen()))
			}
			return nil
		}},
		boolOpt("KIOSC_METRICS_PUBLIC", "false", "serve /metrics without authentication", func(c *Config) *bool { return &c.MetricsPublic }),
		enumOpt("KIOSC_LOG_FORMAT", "text", "slog output format", []string{"text", "json"}, func(c *Config) *string { return &c.LogFormat }),
		enumOpt("KIOSC_LOG_LEVEL", "info", "slog level", []string{"debug", "info", "warn", "error"}, func(c *Config) *string { return &c.LogLevel }),
	}
}

// FlagName turns KIOSC_NETWORK_MODE into network-mode.
func FlagName(env string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(env, "KIOSC_")), "_", "-")
}

func redact(env, v string) string {
	if strings.Contains(env, "SECRET") || strings.Contains(env, "PASSWORD") {
		if v == "" {
			return ""
		}
		return "<redacted>"
	}
	return v
}

type flagValue struct {
	value string
	set   bool
	bool  bool
}

func (f *flagValue) String() string { return f.value }

func (f *flagValue) IsBoolFlag() bool { return f.bool }

func (f *flagValue) Set(v string) error {
	f.value, f.set = v, true
	return nil
}

func stringOpt(env, def, usage string, field func(*Config) *string) Option {
	return Option{Env: env, Default: def, Usage: usage, apply: func(c *Config, v string) error {
		*field(c) = strings.TrimSpace(v)
		return nil
	}}
}

func enumOpt(env, def, usage string, allowed []string, field func(*Config) *string) Option {
	return Option{Env: env, Default: def, Usage: usage + " (" + strings.Join(allowed, ", ") + ")", apply: func(c *Config, v string) error {
		for _, a := range allowed {
			if v == a {
				*field(c) = v
				return nil
			}
		}
		return fmt.Errorf("accepted values: %s", strings.Join(allowed, ", "))
	}}
}

func listOpt(env, def, usage string, field func(*Config) *[]string) Option {
	return Option{Env: env, Default: def, Usage: usage, apply: func(c *Config, v string) error {
		*field(c) = splitList(v)
		return nil
	}}
}

func boolOpt(env, def, usage string, field func(*Config) *bool) Option {
	return Option{Env: env, Default: def, Usage: usage, bool: true, apply: func(c *Config, v string) error {
		switch strings.ToLower(v) {
		case "true", "1", "yes", "on":
			*field(c) = true
		case "false", "0", "no", "off":
			*field(c) = false
		default:
			return errors.New("accepted values: true, false")
		}
		return nil
	}}
}

func intOpt(env, def, usage string, minimum, maximum int, field func(*Config) *int) Option {
	return Option{Env: env, Default: def, Usage: usage, apply: func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < minimum || n > maximum {
			return fmt.Errorf("must be a whole number between %d and %d", minimum, maximum)
		}
		*field(c) = n
		return nil
	}}
}

func durationOpt(env, def, usage string, minimum time.Duration, field func(*Config) *time.Duration) Option {
	return Option{Env: env, Default: def, Usage: usage, apply: func(c *Config, v string) error {
		d, err := units.ParseDuration(v)
		if err != nil {
			return errors.New("must be a duration such as 90s, 15m, 8h or 7d")
		}
		if d < 0 || (d != 0 && d < minimum) || (d == 0 && minimum > 0) {
			return fmt.Errorf("must be at least %s", minimum)
		}
		*field(c) = d
		return nil
	}}
}

func memoryOpt(env, usage string, field func(*Config) *int64) Option {
	return Option{Env: env, Usage: usage, apply: func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		n, err := units.ParseBytes(v)
		if err != nil || n < 6<<20 {
			return errors.New("must be a size of at least 6m, e.g. 512m or 4g")
		}
		*field(c) = n
		return nil
	}}
}

func cpusOpt(env, usage string, field func(*Config) *float64) Option {
	return Option{Env: env, Usage: usage, apply: func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0.01 || f > 1024 {
			return errors.New("must be a number of CPUs between 0.01 and 1024")
		}
		*field(c) = f
		return nil
	}}
}

func pidsOpt(env, usage string, field func(*Config) *int64) Option {
	return Option{Env: env, Usage: usage, apply: func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return errors.New("must be a positive whole number")
		}
		*field(c) = n
		return nil
	}}
}

// registryHost is a registry as image references name it: a DNS name or an IPv6 address in brackets, with an
// optional port (no scheme, no path).
var registryHost = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:]+\])(?::[0-9]{1,5})?$`)

func splitList(v string) []string {
	f := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
	if len(f) == 0 {
		return nil
	}
	return f
}
