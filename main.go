// Command kiosc runs Docker containers that expose web interfaces for research projects and serves them through one
// authenticating reverse proxy. This file only wires the parts together.
package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/api"
	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/cli"
	"github.com/bihealth/kiosc/app/config"
	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/logging"
	"github.com/bihealth/kiosc/app/metrics"
	"github.com/bihealth/kiosc/app/proxy"
	"github.com/bihealth/kiosc/app/routing"
	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/server"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/sharing"
	"github.com/bihealth/kiosc/app/sodar"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/timeline"
	"github.com/bihealth/kiosc/app/usage"
	"github.com/bihealth/kiosc/app/version"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr, serve))
}

func serve(ctx context.Context, args []string) error {
	cfg, err := config.Load(args, os.LookupEnv, os.Stderr)
	if err != nil {
		return err
	}
	log := logging.New(os.Stderr, cfg.LogFormat, cfg.LogLevel)
	log.Info("starting", "version", version.Version, "commit", version.Commit, "listen", cfg.Listen, "data_dir", cfg.DataDir,
		"proxy_mode", cfg.ProxyMode)
	for _, w := range cfg.Warnings() {
		log.Warn(w)
	}
	// Serving starts first: the gates answer /healthz at once (and 503 "starting" to everything else) while the
	// database is opened and migrated, the keys are loaded and the routes are built, and then hand over to the real
	// servers.
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("KIOSC_LISTEN: %w", err)
	}
	errc := make(chan error, 2)
	gate := server.NewGate(log, cfg.TrustedProxies)
	go func() { errc <- gate.Serve(ln) }()
	gates := []*server.Gate{gate}
	var appGate *server.Gate
	if cfg.ProxyMode == routing.AppOrigin {
		appLn, err := net.Listen("tcp", cfg.AppListen)
		if err != nil {
			closeGates(gates)
			return fmt.Errorf("KIOSC_APP_LISTEN: %w", err)
		}
		appGate = server.NewGate(log, cfg.TrustedProxies)
		go func() { errc <- appGate.Serve(appLn) }()
		gates = append(gates, appGate)
	}
	opened := false
	defer func() {
		if !opened {
			closeGates(gates)
		}
	}()

	private := append(store.DatabaseFiles(cfg.DatabasePath()), filepath.Join(cfg.DataDir, secrets.KeyFile))
	if err := store.PrepareDataDir(cfg.DataDir, private, log); err != nil {
		return fmt.Errorf("KIOSC_DATA_DIR: %w", err)
	}
	st, err := store.Open(cfg.DatabasePath())
	if err != nil {
		return err
	}
	defer st.Close()
	migrations, err := fs.Sub(migrationsFS, "migrations")
	if err != nil {
		return err
	}
	if err := st.Migrate(ctx, migrations, log); err != nil {
		return err
	}
	keys, created, err := secrets.Load(cfg.SecretKey, cfg.DataDir)
	if err != nil {
		return fmt.Errorf("KIOSC_SECRET_KEY: %w", err)
	}
	if created {
		log.Info("generated the instance secret key", "file", cfg.DataDir+"/"+secrets.KeyFile)
	}
	instanceID, err := st.CreateSettingIfAbsent(ctx, store.SettingInstanceID, uuid.NewString())
	if err != nil {
		return err
	}
	if err := auth.EnsureAdmin(ctx, st, cfg.AdminPassword, log); err != nil {
		return err
	}
	dock, err := docker.New()
	if err != nil {
		return err
	}
	defer dock.Close()

	// The runtime: the engine itself, or the Swarm whose manager it is (apps as services; usage of those on its node).
	var runtime interface {
		lifecycle.Docker
		usage.Source
		usage.OnceSource
	} = dock
	if cfg.Runtime == config.RuntimeSwarm {
		sw := docker.NewSwarm(dock, docker.SwarmOptions{Constraints: cfg.SwarmPlacement})
		if err := sw.CheckSwarm(ctx); err != nil {
			log.Error("KIOSC_RUNTIME=swarm", "err", err)
		}
		runtime = sw
	}

	m := metrics.New(version.Version, nil)
	bus := events.New(m.LiveDropped.Inc)
	usageHub := usage.NewHub(runtime, st, bus, log.With("component", "usage"))
	m.Registry.MustRegister(usage.NewCollector(runtime, st), usageHub.StreamsGauge())
	checker := access.NewChecker(st)
	authSvc := auth.NewService(st, keys, log, auth.Options{SessionLifetime: cfg.SessionLifetime, LocalLogin: cfg.LocalLogin, BreakGlassUser: cfg.BreakGlassUser})
	recorder := &timeline.Recorder{Store: st, Bus: bus, Log: log}
	share, err := sharing.New(ctx, st, recorder, log.With("component", "sharing"))
	if err != nil {
		return err
	}
	containers := lifecycle.New(st, runtime, keys, bus, recorder, log.With("component", "lifecycle"), lifecycle.Options{
		InstanceID: instanceID, NetworkMode: cfg.NetworkMode, Swarm: cfg.Runtime == config.RuntimeSwarm, HostBindIP: cfg.HostBindIP, DataDir: cfg.DataDir, BaseURL: cfg.BaseURL,
		Apps: cfg.Apps(), ResyncInterval: cfg.ResyncInterval, DefaultStartupTimeout: cfg.DefaultStartupTimeout,
		MaxIdle: cfg.MaxIdle, MaxLifetime: cfg.MaxLifetime, RemoveStoppedAfter: cfg.RemoveStoppedAfter, LogRetentionLines: cfg.LogRetentionLines,
		RemoveVolumesAfter: cfg.RemoveVolumesAfter, Sharing: share.Site,
		Limits: settings.Limits{MaxMemory: cfg.MaxMemory, MaxCPUs: cfg.MaxCPUs, MaxPIDs: cfg.MaxPIDs, DefaultMemory: cfg.DefaultMemory,
			DefaultCPUs: cfg.DefaultCPUs, DefaultPIDs: cfg.DefaultPIDs, AllowedRegistries: cfg.AllowedRegistries, DefaultUser: cfg.DefaultUser}, MaxReserved: cfg.MaxReserved})
	sessions := &api.Sessions{Auth: authSvc, SecureCookies: cfg.SecureCookies(), Version: version.Version, ProxyDomain: cfg.ProxyDomain,
		ProxyMode: string(cfg.ProxyMode), Runtime: cfg.Runtime}
	if cfg.ProxyMode == routing.AppOrigin {
		sessions.AppOrigin = cfg.Apps().Origin("")
	}
	var root []server.Module
	if cfg.OIDCEnabled() {
		base := strings.TrimSuffix(cfg.BaseURL.String(), "/")
		sso := auth.NewOIDC(auth.OIDCConfig{Issuer: cfg.OIDCIssuer, ClientID: cfg.OIDCClientID, ClientSecret: cfg.OIDCClientSecret,
			RedirectURL: base + "/auth/oidc/callback", PostLogoutURL: base + "/login", Scopes: cfg.OIDCScopes,
			UsernameClaim: cfg.OIDCUsernameClaim, GroupsClaim: cfg.OIDCGroupsClaim, SuperuserGroups: cfg.OIDCSuperuserGroups}, authSvc, recorder, log)
		sso.Warm(ctx)
		sessions.OIDC = api.OIDCInfo{Enabled: true, Name: "single sign-on", LoginURL: "/auth/oidc/login", LogoutURL: sso.LogoutURL}
		root = append(root, &api.OIDCLogin{OIDC: sso, Auth: authSvc, Sessions: sessions, Log: log})
	}

	root = append(root, api.SodarLinks{})
	prox := proxy.New(proxy.Options{Containers: proxyContainers{containers}, Auth: authSvc, Checker: checker, Bus: bus,
		BaseURL: cfg.BaseURL, Log: log.With("component", "proxy"), Apps: cfg.Apps(), Sessions: st, Sharing: share, Open: containers.Open,
		AnonymousStartEvery: cfg.AnonymousStartEvery, AnonymousStartsPerMinute: cfg.AnonymousStartsPerMinute})
	root = append(root, prox)
	sodarAPI, sodarSync := sodarSite(cfg, st, &timeline.Recorder{Store: st, Bus: bus, Log: log}, log)

	srv := server.New(server.Deps{
		BaseURL: cfg.BaseURL, Log: log, Auth: authSvc, Metrics: m, MetricsPublic: cfg.MetricsPublic, TrustedProxies: cfg.TrustedProxies, SPA: spa(),
		Front: []server.Module{prox.Subdomains()}, Root: root, OnShutdown: []func(){prox.Close},
		Ready: map[string]server.Pinger{
			"database": st.Ping,
			"docker":   func(ctx context.Context) error { _, err := dock.Ping(ctx); return err },
		},
		API: []server.Module{
			sessions,
			sodarAPI,
			&api.Live{Bus: bus, Checker: checker, Auth: authSvc, BaseURL: cfg.BaseURL, Log: log, Version: version.Version},
			&api.Tokens{Store: st, Auth: authSvc, Timeline: recorder},
			&api.Users{Store: st, Auth: authSvc, Timeline: recorder, SecureCookies: cfg.SecureCookies()},
			&api.Projects{Store: st, Checker: checker, Timeline: recorder},
			&api.Roles{Store: st, Checker: checker, Timeline: recorder},
			&api.MemberSearch{Store: st, Checker: checker},
			&api.Timeline{Store: st, Checker: checker},
			&api.Containers{Manager: containers, Store: st, Checker: checker, Bus: bus, BaseURL: cfg.BaseURL},
			&api.Volumes{Manager: containers, Store: st, Checker: checker, Log: log},
			&api.Admin{Docker: containers},
			&api.Images{Manager: containers, Checker: checker},
			&api.Usage{Hub: usageHub, Manager: containers, Store: st,
				Checker: checker, BaseURL: cfg.BaseURL},
			&api.Templates{Store: st, Checker: checker, Manager: containers, Timeline: recorder},
			&api.Sharing{Sharing: share, Store: st, Checker: checker, Manager: containers, Apps: cfg.Apps()},
			&api.OpenAPI{},
		},
	})

	gate.Open(srv)
	if appGate != nil {
		appGate.Open(server.NewApps(server.AppDeps{Log: log, Metrics: m, TrustedProxies: cfg.TrustedProxies, Apps: prox.AppListener()}))
		log.Info("serving apps", "url", cfg.AppBaseURL.String(), "listen", cfg.AppListen)
	}
	opened = true
	// The start's one-off allocations (two argon2 password hashes of 19 MiB each, the migrations) are garbage by now,
	// but an idle process would not collect them until the runtime's periodic GC two minutes later, and keep them
	// resident until its scavenger returns them: collect them and return the memory to the OS at once.
	debug.FreeOSMemory()
	lifecycleDone := make(chan error, 1)
	go func() { lifecycleDone <- containers.Run(ctx) }()
	if sodarSync != nil {
		// Runs on start (after a short delay, so the server answers first) and every KIOSC_SODAR_SYNC_INTERVAL.
		go sodarSync.Run(ctx)
	}
	log.Info("serving", "url", cfg.BaseURL.String(), "instance", instanceID)
	select {
	case err := <-errc:
		return err
	case err := <-lifecycleDone:
		// The reconciler only returns early when it cannot work at all; serving without it would lie about state.
		return fmt.Errorf("container lifecycle stopped: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = gate.Shutdown(sctx)
	if appGate != nil {
		err = errors.Join(err, appGate.Shutdown(sctx))
	}
	select {
	case lerr := <-lifecycleDone:
		if err == nil && lerr != nil && !errors.Is(lerr, context.Canceled) {
			err = lerr
		}
	case <-sctx.Done():
	}
	return err
}

// closeGates stops serving when kiosc could not start.
func closeGates(gates []*server.Gate) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, g := range gates {
		_ = g.Shutdown(ctx)
	}
}

// sodarSite builds the SODAR admin endpoints and, when KIOSC_SODAR_URL is set, the sync service (nil otherwise).
func sodarSite(cfg *config.Config, st *store.Store, timeline sodar.TimelineWriter, log *slog.Logger) (*api.Sodar, *sodar.Service) {
	h := &api.Sodar{Store: st}
	if !cfg.SodarEnabled() {
		return h, nil
	}
	client := &sodar.Client{URL: cfg.SodarURL, Secret: cfg.SodarSecret}
	svc := &sodar.Service{Store: st, Fetcher: client, Timeline: timeline, Log: log.With("component", "sodar"),
		DefaultOwner: cfg.SodarDefaultOwner, Interval: cfg.SodarSyncInterval, StartDelay: 2 * time.Second, SourceURL: client.SafeURL()}
	h.Syncer, h.URL, h.Interval, h.DefaultOwner = svc, cfg.SodarURL, cfg.SodarSyncInterval, cfg.SodarDefaultOwner
	return h, svc
}

// proxyContainers adapts the lifecycle manager to the proxy.
type proxyContainers struct{ m *lifecycle.Manager }

func (p proxyContainers) Upstream(ctx context.Context, uuid string) (proxy.Target, error) {
	u, err := p.m.Upstream(ctx, uuid)
	if errors.Is(err, lifecycle.ErrNoContainer) {
		return proxy.Target{}, fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	if err != nil {
		return proxy.Target{}, err
	}
	return proxy.Target{ContainerUUID: u.ContainerUUID, ProjectUUID: u.ProjectUUID, State: u.State, Addr: u.Addr, StripPrefix: u.StripPrefix,
		Access: u.Access, ContainerPath: u.ContainerPath}, nil
}

func (p proxyContainers) Touch(uuid string) { p.m.Touch(uuid) }

// spa returns the embedded SPA (the directory may hold only .gitkeep in a fresh clone).
func spa() fs.FS {
	sub, err := fs.Sub(spaFS, "frontend/dist")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory exists
	}
	return sub
}
