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
	"strconv"
	"strings"
	"time"

	"github.com/bihealth/kiosc/app/routing"
	"github.com/bihealth/kiosc/app/settings"
)

// Network modes (spec section 5.6).
const (
	NetworkDefaultBridge  = "default-bridge"
	NetworkPrivateBridges = "private-bridges"
)

// Runtimes (KIOSC_RUNTIME).
const (
	RuntimeDocker = "docker"
	RuntimeSwarm  = "swarm"
)

// Config is the validated configuration of the server.
type Config struct {
	Listen        string
	BaseURL       *url.URL
	DataDir       string
	SecretKey     string
	AdminPassword string
	NetworkMode   string
	// Runtime is docker or swarm; SwarmPlacement are the placement constraints of every app on Swarm.
	Runtime               string
	SwarmPlacement        []string
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
	DefaultUser           string        // uid[:gid] or name; empty = the image's user
	RemoveVolumesAfter    time.Duration // 0 = keep the volumes of deleted containers until removed on request
	AllowedRegistries     []string      // registry hosts, lower case; empty = any
	MaxReserved           settings.ReserveCap
	LogRetentionLines     int
	// AnonymousStartEvery and AnonymousStartsPerMinute limit the starts of apps by visitors without an account
	// (public and link apps): one per app per AnonymousStartEvery, AnonymousStartsPerMinute per client address.
	AnonymousStartEvery      time.Duration
	AnonymousStartsPerMinute int

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
	if c.Runtime == "" {
		c.Runtime = RuntimeDocker
	}
	if c.Runtime == RuntimeSwarm {
		// On Swarm every app has a network of its own: the bridge driver takes no enable_icc=false for networks of
		// swarm scope, so one shared network could not keep apps apart.
		if c.explicit["KIOSC_NETWORK_MODE"] && c.NetworkMode != NetworkPrivateBridges {
			return &Error{Env: "KIOSC_NETWORK_MODE", Flag: FlagName("KIOSC_NETWORK_MODE"), Value: c.NetworkMode,
				Msg: "must be " + NetworkPrivateBridges + " (or unset) with KIOSC_RUNTIME=swarm: every app on Swarm has a network of its own"}
		}
		c.NetworkMode = NetworkPrivateBridges
	}
	if c.Runtime != RuntimeSwarm && len(c.SwarmPlacement) > 0 {
		return &Error{Env: "KIOSC_SWARM_PLACEMENT", Flag: FlagName("KIOSC_SWARM_PLACEMENT"), Value: strings.Join(c.SwarmPlacement, ","),
			Msg: "only applies with KIOSC_RUNTIME=swarm"}
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
