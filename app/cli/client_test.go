package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/api"
	"github.com/bihealth/kiosc/app/api/apitest"
	"github.com/bihealth/kiosc/app/cli"
	"github.com/bihealth/kiosc/app/server"
	"github.com/bihealth/kiosc/app/sodar"
	"github.com/bihealth/kiosc/app/sodar/sodartest"
	"github.com/bihealth/kiosc/app/timeline"
)

const sodarSecret = "clitestsecret0123456789abcdefghij"

// serveKiosc runs a real kiosc server (tokens, projects, SODAR admin) on a local port with a SODAR source behind it.
func serveKiosc(t *testing.T) (*apitest.Env, string) {
	t.Helper()
	src := sodartest.New(t, sodarSecret, []string{"1.0", "2.0", "2.1"}, sodartest.ExamplePayload(t))
	e := apitest.New(t, apitest.Options{API: func(e *apitest.Env) []server.Module {
		rec := &timeline.Recorder{Store: e.Store, Bus: e.Bus, Log: e.Log}
		svc := &sodar.Service{Store: e.Store, Fetcher: &sodar.Client{URL: src.URL, Secret: sodarSecret}, Log: e.Log, DefaultOwner: "admin",
			Timeline: rec}
		return []server.Module{
			&api.Tokens{Store: e.Store, Auth: e.Auth, Timeline: rec},
			&api.Projects{Store: e.Store, Checker: e.Checker, Timeline: rec},
			&api.Sodar{Store: e.Store, Syncer: svc, URL: src.URL, Interval: time.Minute, DefaultOwner: "admin"},
		}
	}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.Server.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Server.Shutdown(ctx)
	})
	return e, "http://" + ln.Addr().String()
}

func apiToken(t *testing.T, e *apitest.Env, username string) string {
	t.Helper()
	u, err := e.Store.GetUserByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := e.Auth.CreateToken(context.Background(), u, "cli test", 0)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

type cliResult struct {
	code           int
	stdout, stderr string
}

// run runs the client with the given environment (HOME and XDG_CONFIG_HOME point to dir).
func runCLI(dir string, env map[string]string, stdin string, args ...string) cliResult {
	var out, errb bytes.Buffer
	e := &cli.Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		switch k {
		case "HOME":
			return dir
		case "XDG_CONFIG_HOME":
			return filepath.Join(dir, "xdg")
		}
		return ""
	}}
	code := cli.RunClient(context.Background(), e, args)
	return cliResult{code, out.String(), errb.String()}
}

func TestAdminSyncSodarAgainstServer(t *testing.T) {
	e, url := serveKiosc(t)
	dir := t.TempDir()
	env := map[string]string{"KIOSC_URL": url, "KIOSC_TOKEN": apiToken(t, e, "admin")}

	r := runCLI(dir, env, "", "admin", "sync-sodar")
	if r.code != 0 || !strings.Contains(r.stdout, ": ok (sync API 2.1)") || !strings.Contains(r.stdout, "project") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if _, err := e.Store.GetProjectByUUID(context.Background(), "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d77"); err != nil {
		t.Fatal("the sync did not mirror the project")
	}

	r = runCLI(dir, env, "", "admin", "sync-sodar", "--json")
	var out map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil || out["status"] != "ok" || out["trigger"] != "api" {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	// The synced projects are listed for people and scripts.
	r = runCLI(dir, env, "", "project", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "Exome Cohort 2024") || !strings.Contains(r.stdout, "sodar") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	// A non-superuser's token gets the API's message and a non-zero exit.
	e.User("someone", false)
	r = runCLI(dir, map[string]string{"KIOSC_URL": url, "KIOSC_TOKEN": apiToken(t, e, "someone")}, "", "admin", "sync-sodar")
	if r.code != 1 || !strings.Contains(r.stderr, "superuser rights required") || !strings.Contains(r.stderr, "403") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// A wrong token too.
	r = runCLI(dir, map[string]string{"KIOSC_URL": url, "KIOSC_TOKEN": "nonsense"}, "", "project", "list")
	if r.code != 1 || !strings.Contains(r.stderr, "invalid_token") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// Nothing configured.
	r = runCLI(dir, map[string]string{}, "", "project", "list")
	if r.code != 1 || !strings.Contains(r.stderr, "not logged in") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestLoginAndTokens(t *testing.T) {
	e, url := serveKiosc(t)
	dir := t.TempDir()
	key := apiToken(t, e, "admin")

	// Token from stdin; stored with mode 0600.
	r := runCLI(dir, map[string]string{}, key+"\n", "login", "--url", url+"/")
	if r.code != 0 || !strings.Contains(r.stdout, "as admin") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	path := filepath.Join(dir, "xdg", "kiosc", "config.json")
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("config %v %v", st, err)
	}
	b, _ := os.ReadFile(path)
	var saved cli.Login
	if err := json.Unmarshal(b, &saved); err != nil || saved.URL != url || saved.Token != key {
		t.Fatalf("saved %s", b)
	}
	if r := runCLI(dir, map[string]string{}, "", "login", "--url", url, "--token", "wrong"); r.code != 1 || !strings.Contains(r.stderr, "invalid_token") {
		t.Fatalf("wrong token login: %d %s", r.code, r.stderr)
	}
	if r := runCLI(dir, map[string]string{}, "", "login", "--url", "ftp://x"); r.code != 2 {
		t.Fatalf("bad url: %d %s", r.code, r.stderr)
	}

	// The stored login is used: create, list, revoke a token.
	r = runCLI(dir, map[string]string{}, "", "token", "create", "ci", "--expires-in", "30d")
	if r.code != 0 || strings.TrimSpace(r.stdout) == "" || !strings.Contains(r.stderr, "shown only this once") {
		t.Fatalf("create: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	newKey := strings.TrimSpace(r.stdout)
	r = runCLI(dir, map[string]string{}, "", "token", "list", "--json")
	var list struct {
		Items []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"items"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &list) != nil || len(list.Items) != 2 {
		t.Fatalf("list: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var id int64
	for _, it := range list.Items {
		if it.Name == "ci" {
			id = it.ID
		}
	}
	r = runCLI(dir, map[string]string{}, "", "token", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "NAME") || !strings.Contains(r.stdout, "ci") {
		t.Fatalf("list table: %s", r.stdout)
	}
	// KIOSC_TOKEN overrides the stored token.
	if r := runCLI(dir, map[string]string{"KIOSC_TOKEN": newKey}, "", "project", "list"); r.code != 0 {
		t.Fatalf("override: %d %s", r.code, r.stderr)
	}
	if r := runCLI(dir, map[string]string{}, "", "token", "revoke", strconvI(id)); r.code != 0 {
		t.Fatalf("revoke: %d %s", r.code, r.stderr)
	}
	if r := runCLI(dir, map[string]string{"KIOSC_TOKEN": newKey}, "", "project", "list"); r.code != 1 {
		t.Fatalf("revoked token still works: %d", r.code)
	}
	if r := runCLI(dir, map[string]string{}, "", "token", "revoke", "abc"); r.code != 2 {
		t.Fatalf("bad id: %d", r.code)
	}
	if r := runCLI(dir, map[string]string{}, "", "token", "frobnicate"); r.code != 2 || !strings.Contains(r.stderr, "create|revoke") && !strings.Contains(r.stderr, "list|create|revoke") {
		t.Fatalf("unknown subcommand: %d %s", r.code, r.stderr)
	}
}

func strconvI(n int64) string { return strconv.FormatInt(n, 10) }
