// Package config loads and validates the configuration of `kiosc serve` from KIOSC_* environment variables and
// command-line flags (flags win).
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bihealth/kiosc/app/routing"
	"github.com/bihealth/kiosc/app/units"
)

// Network modes (spec section 5.6).
const (
	NetworkDefaultBridge  = "default-bridge"
	NetworkPrivateBridges = "private-bridges"
)

// Config is the validated configuration of the server.
type Config struct {
	Listen                string
	BaseURL               *url.URL
	DataDir               string
	SecretKey             string
	AdminPassword         string
	NetworkMode           string
	HostBindIP            netip.Addr
	ResyncInterval        time.Duration
	DefaultStartupTimeout time.Duration
	MaxIdle               time.Duration
	MaxLifetime           time.Duration
	RemoveStoppedAfter    time.Duration
	MaxMemory             int64 // bytes, 0 = no cap
	MaxCPUs               float64
	MaxPIDs               int64
	DefaultMemory         int64 // bytes, 0 = the maximum (or none)
	DefaultCPUs           float64
	DefaultPIDs           int64
	AllowedRegistries     []string // registry hosts, lower case; empty = any
	LogRetentionLines     int

	OIDCIssuer          string
	OIDCClientID        string
	OIDCClientSecret    string
	OIDCScopes          []string
	OIDCUsernameClaim   string
	OIDCSuperuserGroups []string
	OIDCGroupsClaim     string
	LocalLogin          bool
	BreakGlassUser      string
	SessionLifetime     time.Duration

	SodarURL          string
	SodarSecret       string
	SodarSyncInterval time.Duration
	SodarDefaultOwner string

	ProxyDomain string
	ProxyMode   routing.Mode
	// AppListen and AppBaseURL are the app listener's address and external URL (app-origin mode).
	AppListen      string
	AppBaseURL     *url.URL
	TrustedProxies []netip.Prefix
	MetricsPublic  bool
	LogFormat      string
	LogLevel       string

	// explicit holds the variables given in the environment or as flags (not defaulted).
	explicit map[string]bool
}

// OIDCEnabled reports whether an OpenID provider is configured.
func (c *Config) OIDCEnabled() bool { return c.OIDCIssuer != "" }

// SodarEnabled reports whether kiosc runs as a SODAR target site.
func (c *Config) SodarEnabled() bool { return c.SodarURL != "" }

// SecureCookies reports whether cookies must carry the Secure attribute (https base URL).
func (c *Config) SecureCookies() bool { return c.BaseURL.Scheme == "https" }

// Apps says where apps are served.
func (c *Config) Apps() routing.Apps {
	return routing.Apps{Mode: c.ProxyMode, Base: c.BaseURL, AppBase: c.AppBaseURL, Domain: c.ProxyDomain}
}

// Warnings are the start-up warnings about settings that are valid but weaken kiosc's protection.
func (c *Config) Warnings() []string {
	var w []string
	if c.ProxyMode == routing.Path {
		w = append(w, "KIOSC_PROXY_MODE=path serves apps on kiosc's own origin: any app's scripts can use kiosc's API as "+
			"whoever opens the app. Use it only when every app is trusted.")
	}
	if c.ProxyMode == routing.AppOrigin && c.explicit["KIOSC_BASE_URL"] && !c.explicit["KIOSC_APP_BASE_URL"] {
		w = append(w, "KIOSC_APP_BASE_URL is derived as "+c.AppBaseURL.String()+"; set it when a front proxy serves kiosc")
	}
	return w
}

// DatabasePath is the SQLite file inside the data directory.
func (c *Config) DatabasePath() string { return filepath.Join(c.DataDir, "kiosc.db") }

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

// Error is a configuration error naming the variable (and flag) at fault.
type Error struct {
	Env   string
	Flag  string
	Value string
	Msg   string
}

func (e *Error) Error() string {
	return fmt.Sprintf("invalid configuration: %s (flag --%s) = %q: %s", e.Env, e.Flag, e.Value, e.Msg)
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
		{Env: "KIOSC_NETWORK_MODE", Default: NetworkDefaultBridge, Usage: "default-bridge or private-bridges", apply: func(c *Config, v string) error {
			if v != NetworkDefaultBridge && v != NetworkPrivateBridges {
				return fmt.Errorf("accepted values: %s, %s", NetworkDefaultBridge, NetworkPrivateBridges)
			}
			c.NetworkMode = v
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
		{Env: "KIOSC_ALLOWED_REGISTRIES", Default: "", Usage: "registries images may come from, comma or space separated (unset: any)", apply: func(c *Config, v string) error {
			for _, r := range splitList(strings.ToLower(v)) {
				if !registryHost.MatchString(r) {
					return fmt.Errorf("%q is not a registry host such as docker.io, ghcr.io or registry.example.org:5000", r)
				}
				c.AllowedRegistries = append(c.AllowedRegistries, r)
			}
			return nil
		}},
		{Env: "KIOSC_LOG_RETENTION_LINES", Default: "10000", Usage: "Docker log lines kept per container", apply: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 10_000_000 {
				return errors.New("must be a whole number between 0 and 10000000")
			}
			c.LogRetentionLines = n
			return nil
		}},
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

// Load builds the configuration from the environment and the `kiosc serve` arguments. lookupEnv is os.LookupEnv
// outside tests. Usage goes to out when -h is given (then flag.ErrHelp is returned).
func Load(args []string, lookupEnv func(string) (string, bool), out io.Writer) (*Config, error) {
	opts := Options()
	fs := flag.NewFlagSet("kiosc serve", flag.ContinueOnError)
	fs.SetOutput(out)
	given := make(map[string]*flagValue, len(opts))
	for i := range opts {
		o := &opts[i]
		o.Flag = FlagName(o.Env)
		fv := &flagValue{bool: o.bool}
		given[o.Env] = fv
		fs.Var(fv, o.Flag, fmt.Sprintf("%s (%s, default %q)", o.Usage, o.Env, o.Default))
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("kiosc serve takes no arguments, got %q", fs.Args())
	}
	c := &Config{explicit: map[string]bool{}}
	for _, o := range opts {
		v := o.Default
		if e, ok := lookupEnv(o.Env); ok {
			v = e
			c.explicit[o.Env] = true
		}
		if fv := given[o.Env]; fv.set {
			v = fv.value
			c.explicit[o.Env] = true
		}
		if err := o.apply(c, v); err != nil {
			return nil, &Error{Env: o.Env, Flag: o.Flag, Value: redact(o.Env, v), Msg: err.Error()}
		}
	}
	if err := c.finish(); err != nil {
		return nil, err
	}
	return c, nil
}

// finish derives defaults and checks settings that depend on each other.
func (c *Config) finish() error {
	if c.BaseURL == nil {
		host := c.Listen
		if h, p, _ := net.SplitHostPort(c.Listen); h == "" || h == "0.0.0.0" || h == "::" {
			host = net.JoinHostPort("localhost", p)
		}
		c.BaseURL = &url.URL{Scheme: "http", Host: host}
	}
	if c.OIDCIssuer != "" && c.OIDCClientID == "" {
		return &Error{Env: "KIOSC_OIDC_CLIENT_ID", Flag: FlagName("KIOSC_OIDC_CLIENT_ID"), Msg: "required when KIOSC_OIDC_ISSUER is set"}
	}
	if c.OIDCIssuer == "" && c.OIDCClientID != "" {
		return &Error{Env: "KIOSC_OIDC_ISSUER", Flag: FlagName("KIOSC_OIDC_ISSUER"), Msg: "required when KIOSC_OIDC_CLIENT_ID is set"}
	}
	if c.SodarURL != "" && c.SodarSecret == "" {
		return &Error{Env: "KIOSC_SODAR_SECRET", Flag: FlagName("KIOSC_SODAR_SECRET"), Msg: "required when KIOSC_SODAR_URL is set"}
	}
	if !c.LocalLogin && c.OIDCIssuer == "" && c.BreakGlassUser == "" {
		return &Error{Env: "KIOSC_LOCAL_LOGIN", Flag: FlagName("KIOSC_LOCAL_LOGIN"), Value: "false",
			Msg: "nobody could log in: set KIOSC_OIDC_ISSUER or KIOSC_BREAK_GLASS_USER, or keep local login on"}
	}
	if err := c.finishApps(); err != nil {
		return err
	}
	if c.ResyncInterval <= 0 {
		return &Error{Env: "KIOSC_RESYNC_INTERVAL", Flag: FlagName("KIOSC_RESYNC_INTERVAL"), Value: c.ResyncInterval.String(), Msg: "must be positive"}
	}
	return c.checkDefaults()
}

// checkDefaults refuses a site default above its maximum, which no container could be given.
func (c *Config) checkDefaults() error {
	for _, d := range []struct {
		env, maxEnv  string
		def, maxV    float64
		value, limit string
	}{
		{"KIOSC_DEFAULT_MEMORY", "KIOSC_MAX_MEMORY", float64(c.DefaultMemory), float64(c.MaxMemory), strconv.FormatInt(c.DefaultMemory, 10),
			strconv.FormatInt(c.MaxMemory, 10) + " bytes"},
		{"KIOSC_DEFAULT_CPUS", "KIOSC_MAX_CPUS", c.DefaultCPUs, c.MaxCPUs, strconv.FormatFloat(c.DefaultCPUs, 'g', -1, 64),
			strconv.FormatFloat(c.MaxCPUs, 'g', -1, 64) + " CPUs"},
		{"KIOSC_DEFAULT_PIDS", "KIOSC_MAX_PIDS", float64(c.DefaultPIDs), float64(c.MaxPIDs), strconv.FormatInt(c.DefaultPIDs, 10),
			strconv.FormatInt(c.MaxPIDs, 10) + " processes"},
	} {
		if d.maxV > 0 && d.def > d.maxV {
			return &Error{Env: d.env, Flag: FlagName(d.env), Value: d.value, Msg: "exceeds " + d.maxEnv + " (" + d.limit + ")"}
		}
	}
	return nil
}

// parseBaseURL accepts an absolute http(s) URL of an origin's root.
func parseBaseURL(v string) (*url.URL, error) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("must be an absolute http:// or https:// URL, e.g. https://kiosc.example.org")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("must not have a query or fragment")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	if u.Path != "" {
		return nil, errors.New("must not have a path: it is served at the root of its origin")
	}
	return u, nil
}

// finishApps derives the proxy mode and the app listener from the other settings and checks that apps get an
// origin of their own where the mode promises one.
func (c *Config) finishApps() error {
	if c.ProxyDomain != "" && !c.explicit["KIOSC_PROXY_MODE"] {
		c.ProxyMode = routing.Subdomain
	}
	fail := func(env, value, msg string) error {
		return &Error{Env: env, Flag: FlagName(env), Value: value, Msg: msg}
	}
	switch c.ProxyMode {
	case routing.Subdomain:
		if c.ProxyDomain == "" {
			return fail("KIOSC_PROXY_DOMAIN", "", "required when KIOSC_PROXY_MODE=subdomain")
		}
	case routing.Path, routing.AppOrigin:
		if c.ProxyDomain != "" {
			return fail("KIOSC_PROXY_MODE", string(c.ProxyMode), "KIOSC_PROXY_DOMAIN is set: use subdomain, or unset the domain")
		}
	}
	if c.ProxyMode != routing.AppOrigin {
		c.AppListen, c.AppBaseURL = "", nil
		return nil
	}
	if c.AppListen == "" {
		h, p, _ := net.SplitHostPort(c.Listen)
		n, err := strconv.Atoi(p)
		if err != nil || n >= 65535 {
			return fail("KIOSC_APP_LISTEN", "", "cannot derive it from KIOSC_LISTEN "+c.Listen+"; set it, e.g. 127.0.0.1:8081")
		}
		c.AppListen = net.JoinHostPort(h, strconv.Itoa(n+1))
	}
	if same, _ := sameAddress(c.AppListen, c.Listen); same {
		return fail("KIOSC_APP_LISTEN", c.AppListen, "must differ from KIOSC_LISTEN: apps need an origin of their own")
	}
	if c.AppBaseURL == nil {
		_, p, _ := net.SplitHostPort(c.AppListen)
		host := c.BaseURL.Hostname()
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		c.AppBaseURL = &url.URL{Scheme: c.BaseURL.Scheme, Host: host + ":" + p}
	}
	if strings.EqualFold(c.AppBaseURL.Scheme+"://"+c.AppBaseURL.Host, c.BaseURL.Scheme+"://"+c.BaseURL.Host) {
		return fail("KIOSC_APP_BASE_URL", c.AppBaseURL.String(), "must be another origin than KIOSC_BASE_URL (another host or port)")
	}
	if c.BaseURL.Scheme == "https" && c.AppBaseURL.Scheme != "https" {
		return fail("KIOSC_APP_BASE_URL", c.AppBaseURL.String(), "must use https like KIOSC_BASE_URL")
	}
	return nil
}

// sameAddress reports whether two listen addresses name the same port on overlapping hosts.
func sameAddress(a, b string) (bool, error) {
	ha, pa, err := net.SplitHostPort(a)
	if err != nil {
		return false, err
	}
	hb, pb, err := net.SplitHostPort(b)
	if err != nil {
		return false, err
	}
	if pa != pb {
		return false, nil
	}
	wild := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	return ha == hb || wild(ha) || wild(hb), nil
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

func (f *flagValue) String() string   { return f.value }
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
