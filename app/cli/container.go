package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/units"
)

// `kiosc container ...`: list, show, create, edit, start, stop, restart, delete, logs and open, on the container
// endpoints of the REST API (spec sections 5, 7 and 8).

// containerView is the part of the API's container object the commands read. show and --json print the whole
// object as the API sends it.
type containerView struct {
	UUID    string `json:"uuid"`
	Project string `json:"project"`
	settings.Container
	SecretEnvironmentKeys []string    `json:"secret_environment_keys"`
	State                 store.State `json:"state"`
	StateReason           string      `json:"state_reason"`
	StateMessage          string      `json:"state_message"`
	DesiredState          store.State `json:"desired_state"`
	ExitCode              *int        `json:"exit_code"`
	ReadyAt               *time.Time  `json:"ready_at"`
	LastAccessAt          *time.Time  `json:"last_access_at"`
	ProxyURL              string      `json:"proxy_url"`
	Retries               int         `json:"retries"`
	UpdatedAt             time.Time   `json:"updated_at"`
}

// stateText is the state with its reason, e.g. "stopped (idle)".
func (v *containerView) stateText() string {
	if v.StateReason != "" {
		return string(v.State) + " (" + v.StateReason + ")"
	}
	return string(v.State)
}

func containerCommands() []Command {
	return []Command{
		{Name: "list", Args: "[--project UUID] [--state STATE]", Summary: "containers you can see", Run: containerList},
		{Name: "show", Args: "UUID", Summary: "every field of a container (secret values are never shown)", Run: containerShow},
		{Name: "create", Args: "--project UUID --image IMAGE [flags] [--start]", Summary: "create a container (-h lists the fields)", Run: containerCreate},
		{Name: "edit", Args: "UUID [flags]", Summary: "change the given fields of a container", Run: containerEdit},
		{Name: "start", Args: "UUID [--wait] [--timeout 5m]", Summary: "start a container", Run: containerAction("start")},
		{Name: "stop", Args: "UUID [--wait] [--timeout 5m]", Summary: "stop a container", Run: containerAction("stop")},
		{Name: "restart", Args: "UUID [--wait] [--timeout 5m]", Summary: "recreate and start a container", Run: containerAction("restart")},
		{Name: "delete", Args: "UUID [--yes]", Summary: "delete a container and its Docker container", Run: containerDelete},
		{Name: "logs", Args: "UUID [--tail N] [--since 10m] [--follow]", Summary: "the container's output", Run: containerLogs},
		{Name: "open", Args: "UUID", Summary: "print the URL of the app (and open it with $BROWSER)", Run: containerOpen},
	}
}

// ctParseFlags parses args (flags may follow the positional arguments) and turns flag errors into usage errors.
func ctParseFlags(fs *flag.FlagSet, args []string) error {
	var bools []string
	fs.VisitAll(func(f *flag.Flag) {
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			bools = append(bools, f.Name)
		}
	})
	if err := fs.Parse(reorder(args, bools...)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

// ctUUIDArg parses flags and returns the single positional argument.
func ctUUIDArg(fs *flag.FlagSet, args []string, usage string) (string, error) {
	if err := ctParseFlags(fs, args); err != nil {
		return "", err
	}
	if fs.NArg() != 1 || strings.TrimSpace(fs.Arg(0)) == "" {
		return "", usageError{"usage: kiosc container " + usage}
	}
	return fs.Arg(0), nil
}

// containerPath is /api/v1/containers/<uuid> plus suffix; the UUID is escaped so it cannot leave the path.
func containerPath(id, suffix string) string {
	return "/api/v1/containers/" + url.PathEscape(id) + suffix
}

// ctListPageSize is how many containers one request of `container list` asks for.
var ctListPageSize = 100

func containerList(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("container list", e)
	project := fs.String("project", "", "only the containers of this project (UUID)")
	state := fs.String("state", "", "only containers in this state (running, stopped, failed, ...)")
	asJSON := fs.Bool("json", false, "print the API's JSON (all pages as one list)")
	if err := ctParseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"usage: kiosc container list [--project UUID] [--state STATE] [--json]"}
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	q := url.Values{}
	if *project != "" {
		q.Set("project", *project)
	}
	if *state != "" {
		q.Set("state", *state)
	}
	// Page through the list: the API answers at most a few hundred items per request.
	var items []json.RawMessage
	total := 0
	for {
		q.Set("limit", strconv.Itoa(ctListPageSize))
		q.Set("offset", strconv.Itoa(len(items)))
		var page struct {
			Items []json.RawMessage `json:"items"`
			Total int               `json:"total"`
		}
		if err := c.Do(ctx, "GET", "/api/v1/containers?"+q.Encode(), nil, &page); err != nil {
			return err
		}
		items = append(items, page.Items...)
		total = page.Total
		if len(page.Items) == 0 || len(items) >= total {
			break
		}
	}
	if *asJSON {
		if items == nil {
			items = []json.RawMessage{}
		}
		b, err := json.Marshal(map[string]any{"items": items, "total": total})
		if err != nil {
			return err
		}
		return printJSON(e.Stdout, b)
	}
	rows := [][]string{{"UUID", "PROJECT", "TITLE", "IMAGE", "STATE", "LAST ACCESS"}}
	for _, raw := range items {
		var v containerView
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("unexpected answer: %w", err)
		}
		rows = append(rows, []string{v.UUID, v.Project, v.Title, v.Image, v.stateText(), when(v.LastAccessAt)})
	}
	table(e.Stdout, rows)
	return nil
}

// ctShowOrder is the order of the fields in `container show` (spec section 5.1); fields the server adds later are
// printed after these.
var ctShowOrder = []string{"uuid", "project", "title", "description", "image", "command", "environment",
	"secret_environment_keys", "container_port", "container_path", "heartbeat_url", "strip_prefix", "startup_timeout",
	"max_idle", "max_lifetime", "memory_limit", "cpu_limit", "pids_limit", "max_retries", "pull_policy",
	"has_registry_auth", "template", "state", "state_reason", "state_message", "state_detail", "desired_state", "docker_id",
	"docker_state", "exit_code", "oom_killed", "host_port", "retries", "ready_at", "started_at", "stopped_at",
	"last_access_at", "restart_pending", "proxy_url", "created_by", "created_at", "updated_at"}

// never lists fields that are write-only; they are not shown even if a server ever sent them.
var ctNever = map[string]bool{"secret_environment": true, "registry_auth": true}

func containerShow(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("container show", e)
	asJSON := fs.Bool("json", false, "print the API's JSON")
	id, err := ctUUIDArg(fs, args, "show UUID [--json]")
	if err != nil {
		return err
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := c.Do(ctx, "GET", containerPath(id, ""), nil, &raw); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Stdout, raw)
	}
	return showContainer(e.Stdout, raw)
}

// showContainer prints a container object as "key  value" lines.
func showContainer(w io.Writer, raw json.RawMessage) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("unexpected answer: %w", err)
	}
	keys := append([]string{}, ctShowOrder...)
	var extra []string
	for k := range m {
		if !slices.Contains(ctShowOrder, k) {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	keys = append(keys, extra...)
	var rows [][]string
	for _, k := range keys {
		v, ok := m[k]
		if !ok || ctNever[k] {
			continue
		}
		switch k {
		case "environment":
			var env map[string]string
			_ = json.Unmarshal(v, &env)
			names := make([]string, 0, len(env))
			for n := range env {
				names = append(names, n)
			}
			sort.Strings(names)
			if len(names) == 0 {
				rows = append(rows, []string{k, "-"})
			}
			for i, n := range names {
				label := ""
				if i == 0 {
					label = k
				}
				rows = append(rows, []string{label, n + "=" + env[n]})
			}
			continue
		case "secret_environment_keys":
			var names []string
			_ = json.Unmarshal(v, &names)
			val := "-"
			if len(names) > 0 {
				val = strings.Join(names, ", ") + " (values are write-only)"
			}
			rows = append(rows, []string{k, val})
			continue
		}
		rows = append(rows, []string{k, ctShowValue(k, v)})
	}
	table(w, rows)
	return nil
}

// ctShowValue formats one field: strings bare, null as "-", sizes and durations with a human hint.
func ctShowValue(key string, v json.RawMessage) string {
	if string(v) == "null" {
		return "-"
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		if s == "" {
			return "-"
		}
		if strings.HasSuffix(key, "_at") {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return t.Local().Format("2006-01-02 15:04:05 MST")
			}
		}
		return s
	}
	var n float64
	if json.Unmarshal(v, &n) == nil {
		switch key {
		case "memory_limit":
			if n > 0 {
				return fmt.Sprintf("%s (%s)", string(v), units.Bytes(n).Exact())
			}
			return "0 (site default)"
		case "startup_timeout", "max_idle", "max_lifetime":
			if n > 0 {
				return fmt.Sprintf("%s (%s)", string(v), (time.Duration(n) * time.Second).String())
			}
			return "0 (site default)"
		}
	}
	return string(v)
}

// ctParseSize reads a memory size: bytes, or a number with k, m, g or t (powers of 1024, as Docker reads them;
// "512m", "1.5g", "512MiB" and "2GB" all work).
func ctParseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "ib"), "b")
	mult := 1.0
	if t != "" {
		switch t[len(t)-1] {
		case 'k':
			mult = 1 << 10
		case 'm':
			mult = 1 << 20
		case 'g':
			mult = 1 << 30
		case 't':
			mult = 1 << 40
		}
		if mult != 1 {
			t = t[:len(t)-1]
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) || f*mult > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is not a size such as 512m or 2g", s)
	}
	return int64(math.Round(f * mult)), nil
}

// ctParseSeconds reads a duration as whole seconds: "90" (seconds), Go durations such as "2h" or "1h30m", and days
// such as "7d". "0" means the site default.
func ctParseSeconds(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if n, err := strconv.ParseInt(t, 10, 64); err == nil && n >= 0 {
		return n, nil
	}
	if strings.HasSuffix(t, "d") {
		if n, err := strconv.ParseInt(strings.TrimSuffix(t, "d"), 10, 64); err == nil && n >= 0 && n < 1e6 {
			return n * 86400, nil
		}
	}
	d, err := time.ParseDuration(t)
	if err != nil || d < 0 || d%time.Second != 0 {
		return 0, fmt.Errorf("%q is not a duration in whole seconds such as 90, 30m, 2h or 7d", s)
	}
	return int64(d / time.Second), nil
}

// ctParseSince reads --since: a duration back from now (10m, 2h, 1d) or an RFC 3339 time.
func ctParseSince(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	n, err := ctParseSeconds(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a duration such as 10m nor a time such as 2026-01-02T15:04:05Z", s)
	}
	return time.Now().Add(-time.Duration(n) * time.Second), nil
}

// ctMultiFlag is a repeatable flag.
type ctMultiFlag []string

func (m *ctMultiFlag) String() string     { return strings.Join(*m, ",") }
func (m *ctMultiFlag) Set(v string) error { *m = append(*m, v); return nil }

// fieldFlags are the flags of create and edit, one for each writable field of spec section 5.1.
type fieldFlags struct {
	fs                                        *flag.FlagSet
	title, description, image, command        *string
	path, heartbeat, pullPolicy, template     *string
	port, retries                             *int
	pids                                      *int64
	cpus                                      *float64
	memory, startupTimeout, maxIdle, lifetime *string
	stripPrefix                               *bool
	env, unsetEnv, secretEnv, unsetSecretEnv  ctMultiFlag
	registryUser, registryPassword, fromFile  *string
	noRegistryAuth                            *bool
}

func addFieldFlags(fs *flag.FlagSet) *fieldFlags {
	f := &fieldFlags{fs: fs}
	f.title = fs.String("title", "", "title (unique in the project)")
	f.description = fs.String("description", "", "description")
	f.image = fs.String("image", "", "Docker image, e.g. ghcr.io/org/app:1.2 or name@sha256:...")
	f.command = fs.String("command", "", "command (shell-quoted words, or a script starting with #!)")
	f.port = fs.Int("port", 0, "port the app listens on inside the container (default 80)")
	f.path = fs.String("path", "", "path the app is opened at")
	f.heartbeat = fs.String("heartbeat-url", "", "probe path or URL inside the container for readiness")
	f.stripPrefix = fs.Bool("strip-prefix", true, "strip the proxy prefix before passing requests (--strip-prefix=false keeps it)")
	f.startupTimeout = fs.String("startup-timeout", "", "how long the app may take to answer, e.g. 5m (0: site default)")
	f.maxIdle = fs.String("max-idle", "", "stop after this long without access, e.g. 2h (0: site default)")
	f.lifetime = fs.String("max-lifetime", "", "stop after running this long, e.g. 7d (0: site default)")
	f.memory = fs.String("memory", "", "memory limit, e.g. 512m or 2g")
	f.cpus = fs.Float64("cpus", 0, "CPU limit, e.g. 1.5")
	f.pids = fs.Int64("pids", 0, "process limit")
	f.retries = fs.Int("max-retries", 0, "automatic restarts after a crash")
	f.pullPolicy = fs.String("pull-policy", "", "if-missing or always")
	f.template = fs.String("template", "", "template UUID the container comes from (create: its fields fill the ones not given)")
	fs.Var(&f.env, "env", "environment variable K=V (repeatable)")
	fs.Var(&f.unsetEnv, "unset-env", "remove an environment variable K (repeatable)")
	fs.Var(&f.secretEnv, "secret-env", "secret environment variable K=V, or K=- to read the value from stdin (repeatable)")
	fs.Var(&f.unsetSecretEnv, "unset-secret-env", "remove a secret environment variable K (repeatable)")
	f.registryUser = fs.String("registry-user", "", "user name for a private registry (with --registry-password)")
	f.registryPassword = fs.String("registry-password", "", "password for a private registry, or - to read it from stdin")
	f.noRegistryAuth = fs.Bool("no-registry-auth", false, "remove the stored registry credentials")
	f.fromFile = fs.String("from-file", "", "JSON file with the API's writable fields; flags override it")
	return f
}

// set reports whether the flag was given on the command line.
func (f *fieldFlags) set() map[string]bool {
	seen := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { seen[fl.Name] = true })
	return seen
}

// ctSplitKV splits K=V of --env and --secret-env.
func ctSplitKV(flagName, kv string) (string, string, error) {
	k, v, ok := strings.Cut(kv, "=")
	if !ok || k == "" {
		return "", "", usageError{fmt.Sprintf("--%s: %q is not KEY=VALUE", flagName, kv)}
	}
	return k, v, nil
}

// body builds the request body: the --from-file object, then the given flags over it. current is the container's
// environment on edit (the API replaces environment as a whole, so --env and --unset-env change a copy of it).
func (f *fieldFlags) body(e *Env, current map[string]string) (map[string]any, error) {
	body := map[string]any{}
	if *f.fromFile != "" {
		b, err := os.ReadFile(*f.fromFile)
		if err != nil {
			return nil, usageError{"--from-file: " + err.Error()}
		}
		if err := json.Unmarshal(b, &body); err != nil || body == nil {
			return nil, usageError{fmt.Sprintf("--from-file: %s does not hold a JSON object of container fields", *f.fromFile)}
		}
		for _, k := range []string{"environment", "secret_environment"} {
			if v, ok := body[k]; ok && v != nil {
				if _, ok := v.(map[string]any); !ok {
					return nil, usageError{fmt.Sprintf("--from-file: %s must be an object", k)}
				}
			}
		}
	}
	seen := f.set()
	str := map[string]*string{"title": f.title, "description": f.description, "image": f.image, "command": f.command,
		"path": f.path, "heartbeat-url": f.heartbeat, "pull-policy": f.pullPolicy, "template": f.template}
	field := map[string]string{"title": "title", "description": "description", "image": "image", "command": "command",
		"path": "container_path", "heartbeat-url": "heartbeat_url", "pull-policy": "pull_policy", "template": "template"}
	for name, v := range str {
		if seen[name] {
			body[field[name]] = *v
		}
	}
	if seen["port"] {
		body["container_port"] = *f.port
	}
	if seen["max-retries"] {
		body["max_retries"] = *f.retries
	}
	if seen["pids"] {
		body["pids_limit"] = *f.pids
	}
	if seen["cpus"] {
		body["cpu_limit"] = *f.cpus
	}
	if seen["strip-prefix"] {
		body["strip_prefix"] = *f.stripPrefix
	}
	if seen["memory"] {
		n, err := ctParseSize(*f.memory)
		if err != nil {
			return nil, usageError{"--memory: " + err.Error()}
		}
		body["memory_limit"] = n
	}
	for name, v := range map[string]*string{"startup-timeout": f.startupTimeout, "max-idle": f.maxIdle, "max-lifetime": f.lifetime} {
		if seen[name] {
			n, err := ctParseSeconds(*v)
			if err != nil {
				return nil, usageError{"--" + name + ": " + err.Error()}
			}
			body[strings.ReplaceAll(name, "-", "_")] = n
		}
	}
	if len(f.env) > 0 || len(f.unsetEnv) > 0 {
		env := map[string]any{}
		if fileEnv, ok := body["environment"].(map[string]any); ok {
			env = fileEnv
		} else {
			for k, v := range current {
				env[k] = v
			}
		}
		for _, kv := range f.env {
			k, v, err := ctSplitKV("env", kv)
			if err != nil {
				return nil, err
			}
			env[k] = v
		}
		for _, k := range f.unsetEnv {
			delete(env, k)
		}
		body["environment"] = env
	}
	if len(f.secretEnv) > 0 || len(f.unsetSecretEnv) > 0 {
		sec := map[string]any{}
		if fileSec, ok := body["secret_environment"].(map[string]any); ok {
			sec = fileSec
		}
		var fromStdin []string
		for _, kv := range f.secretEnv {
			k, v, err := ctSplitKV("secret-env", kv)
			if err != nil {
				return nil, err
			}
			if v == "-" {
				fromStdin = append(fromStdin, k)
				continue
			}
			sec[k] = v
		}
		if *f.registryPassword == "-" && len(fromStdin) > 0 {
			return nil, usageError{"only one of --secret-env K=- and --registry-password - can read stdin"}
		}
		values, err := ctReadSecrets(e, fromStdin)
		if err != nil {
			return nil, err
		}
		for i, k := range fromStdin {
			sec[k] = values[i]
		}
		// The API merges secret_environment into the stored secrets; null removes a key.
		for _, k := range f.unsetSecretEnv {
			sec[k] = nil
		}
		body["secret_environment"] = sec
	}
	switch {
	case *f.noRegistryAuth:
		if seen["registry-user"] || seen["registry-password"] {
			return nil, usageError{"--no-registry-auth cannot be combined with --registry-user or --registry-password"}
		}
		body["registry_auth"] = nil
	case seen["registry-user"] || seen["registry-password"]:
		if *f.registryUser == "" || *f.registryPassword == "" {
			return nil, usageError{"--registry-user and --registry-password go together"}
		}
		pw := *f.registryPassword
		if pw == "-" {
			values, err := ctReadSecrets(e, []string{"registry password"})
			if err != nil {
				return nil, err
			}
			pw = values[0]
		}
		body["registry_auth"] = map[string]any{"username": *f.registryUser, "password": pw}
	}
	return body, nil
}

// ctReadSecrets reads one value per name from stdin: on a terminal each after a prompt without echo; otherwise one
// line each, or, for a single value, all of stdin (so a multi-line key file can be piped in) without its final
// newline.
func ctReadSecrets(e *Env, names []string) ([]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	f, isFile := e.Stdin.(*os.File)
	terminal := false
	if isFile {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			terminal = true
		}
	}
	r := bufio.NewReader(e.Stdin)
	var out []string
	if !terminal && len(names) == 1 {
		b, err := io.ReadAll(io.LimitReader(r, 1<<20))
		if err != nil {
			return nil, err
		}
		v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if v == "" {
			return nil, usageError{fmt.Sprintf("no value for %s on stdin", names[0])}
		}
		return []string{v}, nil
	}
	for _, n := range names {
		if terminal {
			fmt.Fprintf(e.Stderr, "Value of %s: ", n)
			if stty(f, "-echo") == nil {
				defer func() { _ = stty(f, "echo") }()
			}
		}
		line, err := r.ReadString('\n')
		if terminal {
			fmt.Fprintln(e.Stderr)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" {
			return nil, usageError{fmt.Sprintf("no value for %s on stdin (one line per value)", n)}
		}
		out = append(out, line)
	}
	return out, nil
}

func containerCreate(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("container create", e)
	project := fs.String("project", "", "project UUID (required)")
	f := addFieldFlags(fs)
	start := fs.Bool("start", false, "start the container once it is created")
	wait := fs.Bool("wait", false, "with --start: wait until it runs (or fails)")
	timeout := fs.Duration("timeout", 5*time.Minute, "with --wait: give up after this long")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	if err := ctParseFlags(fs, args); err != nil {
		return err
	}
	if *project == "" || fs.NArg() != 0 {
		return usageError{"usage: kiosc container create --project UUID --image IMAGE [flags] (kiosc container create -h lists them)"}
	}
	if *wait && !*start {
		return usageError{"--wait needs --start"}
	}
	body, err := f.body(e, nil)
	if err != nil {
		return err
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	raw, v, err := doContainer(ctx, c, "POST", "/api/v1/projects/"+url.PathEscape(*project)+"/containers", body)
	if err != nil {
		return err
	}
	if !*start {
		if *asJSON {
			return printJSON(e.Stdout, raw)
		}
		fmt.Fprintf(e.Stdout, "Container %q created: %s\n", v.Title, v.UUID)
		return nil
	}
	if !*asJSON {
		fmt.Fprintf(e.Stdout, "Container %q created: %s\n", v.Title, v.UUID)
	}
	return runAction(ctx, e, c, "start", v.UUID, *wait, *timeout, *asJSON)
}

func containerEdit(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("container edit", e)
	f := addFieldFlags(fs)
	asJSON := fs.Bool("json", false, "print the API's JSON")
	id, err := ctUUIDArg(fs, args, "edit UUID [flags] (kiosc container edit -h lists them)")
	if err != nil {
		return err
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	var current map[string]string
	if len(f.env) > 0 || len(f.unsetEnv) > 0 {
		var v containerView
		if err := c.Do(ctx, "GET", containerPath(id, ""), nil, &v); err != nil {
			return err
		}
		current = v.Environment
	}
	body, err := f.body(e, current)
	if err != nil {
		return err
	}
	if len(body) == 0 {
		return usageError{"nothing to change: give the fields to edit as flags (kiosc container edit -h lists them)"}
	}
	raw, v, err := doContainer(ctx, c, "PATCH", containerPath(id, ""), body)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Stdout, raw)
	}
	fmt.Fprintf(e.Stdout, "Container %q updated\n", v.Title)
	var pending struct {
		RestartPending bool `json:"restart_pending"`
	}
	if json.Unmarshal(raw, &pending) == nil && pending.RestartPending {
		fmt.Fprintf(e.Stdout, "It is running with the old settings; `kiosc container restart %s` applies the changes.\n", v.UUID)
	}
	return nil
}

func containerAction(action string) func(ctx context.Context, e *Env, args []string) error {
	return func(ctx context.Context, e *Env, args []string) error {
		fs := newFlags("container "+action, e)
		wait := fs.Bool("wait", false, "wait until the container gets there (or fails), printing each state")
		timeout := fs.Duration("timeout", 5*time.Minute, "with --wait: give up after this long")
		asJSON := fs.Bool("json", false, "print the API's JSON")
		id, err := ctUUIDArg(fs, args, action+" UUID [--wait] [--timeout 5m] [--json]")
		if err != nil {
			return err
		}
		if *timeout <= 0 {
			return usageError{"--timeout must be positive"}
		}
		c, err := clientFor(e)
		if err != nil {
			return err
		}
		return runAction(ctx, e, c, action, id, *wait, *timeout, *asJSON)
	}
}

// runAction posts an action and, with wait, follows the container until it reaches the action's goal.
func runAction(ctx context.Context, e *Env, c *Client, action, id string, wait bool, timeout time.Duration, asJSON bool) error {
	var live *websocket.Conn
	if wait {
		// Listen before asking, so no state change can slip between the answer and the first event.
		live, _ = c.dialWS(ctx, "/api/v1/ws")
		if live != nil {
			defer live.Close()
		}
	}
	raw, v, err := doContainer(ctx, c, "POST", containerPath(id, "/"+action), nil)
	if err != nil {
		return err
	}
	if !wait {
		if asJSON {
			return printJSON(e.Stdout, raw)
		}
		fmt.Fprintf(e.Stdout, "Container %q: %s requested (state %s)\n", v.Title, action, v.stateText())
		return nil
	}
	w := &waiter{action: action, answer: v}
	final, err := w.follow(ctx, e, c, live, timeout)
	if asJSON && final != nil {
		if perr := printJSON(e.Stdout, final); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}

// dialWS opens a websocket to the API with the token.
func (c *Client) dialWS(ctx context.Context, path string) (*websocket.Conn, error) {
	u, err := url.Parse(c.URL + path)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "https":
		u.Scheme = "wss"
	default:
		u.Scheme = "ws"
	}
	d := *websocket.DefaultDialer
	d.HandshakeTimeout = 15 * time.Second
	if t, ok := c.HTTP.Transport.(*http.Transport); ok && t.TLSClientConfig != nil {
		d.TLSClientConfig = t.TLSClientConfig
	}
	h := http.Header{}
	h.Set("Authorization", "Token "+c.Token)
	conn, res, err := d.DialContext(ctx, u.String(), h)
	if err != nil {
		if res != nil && res.Body != nil {
			defer res.Body.Close()
			b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
			var eb struct {
				Error *APIError `json:"error"`
			}
			if json.Unmarshal(b, &eb) == nil && eb.Error != nil {
				eb.Error.Status = res.StatusCode
				return nil, eb.Error
			}
		}
		return nil, fmt.Errorf("cannot open %s: %w", path, err)
	}
	conn.SetReadLimit(8 << 20)
	return conn, nil
}

// ctReadWS delivers the text messages of conn until it closes (the error says why) or ctx ends.
func ctReadWS(ctx context.Context, conn *websocket.Conn) (<-chan []byte, <-chan error) {
	msgs, errc := make(chan []byte, 64), make(chan error, 1)
	go func() {
		defer close(msgs)
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				errc <- err
				return
			}
			select {
			case msgs <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		<-ctx.Done()
		_ = conn.Close()
	}()
	return msgs, errc
}

// waiter decides when an action is done from the container's successive states and the action's job.
type waiter struct {
	action string
	answer containerView // the action's answer: the state right after the request
	last   string
	// job is the background job doing the action (the newest job of that action after the request; identical
	// requests share one). Until it has finished, a failure state may be left over from an earlier attempt: right
	// after `start` the record still shows why the last start failed.
	job     string
	jobDone bool
	jobErr  string
}

// jobView is a job as the API and the live stream show it.
type jobView struct {
	UUID    string `json:"uuid"`
	Job     string `json:"job"` // the live stream's name for the UUID
	Action  string `json:"action"`
	State   string `json:"state"`
	Message string `json:"message"`
}

// findJob looks up the job of the action just requested; it may already have finished.
func (w *waiter) findJob(ctx context.Context, c *Client) error {
	var jobs struct {
		Items []jobView `json:"items"`
	}
	if err := c.Do(ctx, "GET", containerPath(w.answer.UUID, "/jobs")+"?limit=20", nil, &jobs); err != nil {
		return err
	}
	for _, j := range jobs.Items { // newest first
		if j.Action == w.action {
			w.job = j.UUID
			w.jobUpdate(j)
			return nil
		}
	}
	// No job: the request changed nothing the worker needs to act on; states after the answer decide.
	w.jobDone = true
	return nil
}

// jobUpdate notes the job's state.
func (w *waiter) jobUpdate(j jobView) {
	if j.State == store.JobDone || j.State == store.JobFailed {
		w.jobDone = true
		if j.State == store.JobFailed {
			w.jobErr = j.Message
		}
	}
}

// check reports whether v ends the wait, and the error if it ends in failure.
func (w *waiter) check(v *containerView) (bool, error) {
	fail := func() (bool, error) {
		msg := v.stateText()
		if v.StateMessage != "" {
			msg += ": " + v.StateMessage
		} else if w.jobErr != "" {
			msg += ": " + w.jobErr
		}
		if v.State == store.StateExited && v.ExitCode != nil {
			msg += fmt.Sprintf(" (exit code %d)", *v.ExitCode)
		}
		return true, fmt.Errorf("container %s: %s", v.UUID, msg)
	}
	switch w.action {
	case "start", "restart":
		if v.State == store.StateRunning {
			// A restart recreates the container: it is done when the app has answered again since the request.
			if w.action == "start" || (v.ReadyAt != nil && (w.answer.ReadyAt == nil || v.ReadyAt.After(*w.answer.ReadyAt))) {
				return true, nil
			}
			return false, nil
		}
		if !w.jobDone {
			return false, nil
		}
		switch {
		case v.State == store.StateFailed, v.State == store.StateDeleting, v.State == store.StateDeleted, v.State == store.StateNotFound:
			return fail()
		case v.State == store.StateExited && (v.DesiredState != store.StateRunning || v.Retries >= v.MaxRetries):
			return fail()
		case v.DesiredState != store.StateRunning:
			return true, fmt.Errorf("container %s: now meant to be %s (someone else asked)", v.UUID, v.DesiredState)
		case w.jobErr != "" && v.State != store.StateStarting && v.State != store.StatePulling && v.State != store.StateCreating:
			return fail()
		}
	case "stop":
		switch v.State {
		case store.StateStopped, store.StateExited, store.StateInitial, store.StateDeleted, store.StateNotFound:
			return true, nil
		case store.StateFailed:
			// A container kiosc could not get running has been stopped (or never ran): stopping it is done once
			// the job has run, or at once if there is none.
			if w.jobDone && w.jobErr == "" {
				return true, nil
			}
		}
		if !w.jobDone {
			return false, nil
		}
		if w.jobErr != "" {
			return fail()
		}
		if v.DesiredState != store.StateStopped {
			return true, fmt.Errorf("container %s: now meant to be %s (someone else asked)", v.UUID, v.DesiredState)
		}
	}
	return false, nil
}

// print writes a line for each new state.
func (w *waiter) print(e *Env, v *containerView) {
	line := v.stateText()
	if v.StateMessage != "" {
		line += ": " + v.StateMessage
	}
	if line == w.last {
		return
	}
	w.last = line
	fmt.Fprintf(e.Stdout, "%s  %s\n", time.Now().Format("15:04:05"), line)
}

// follow waits for the action's goal. State changes and job progress come from the live event stream /api/v1/ws;
// a slow GET of the container and its jobs every few seconds covers what the stream cannot (it could not be
// opened, it dropped this client for being slow, or a proxy in between does not pass websockets).
func (w *waiter) follow(ctx context.Context, e *Env, c *Client, live *websocket.Conn, timeout time.Duration) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var msgs <-chan []byte
	pollEvery := 2 * time.Second
	if live != nil {
		msgs, _ = ctReadWS(ctx, live)
		pollEvery = 15 * time.Second
	}
	poll := time.NewTicker(pollEvery)
	defer poll.Stop()
	current := w.answer
	var currentRaw json.RawMessage
	handle := func(raw json.RawMessage) (bool, error) {
		var v containerView
		if err := json.Unmarshal(raw, &v); err != nil || v.UUID != w.answer.UUID {
			return false, nil
		}
		if v.UpdatedAt.Before(current.UpdatedAt) {
			return false, nil // an older event overtaken by a newer answer
		}
		current, currentRaw = v, raw
		w.print(e, &v)
		return w.check(&v)
	}
	// The action's answer is the first state.
	w.print(e, &current)
	if done, err := w.check(&current); done {
		return w.refetch(ctx, c, currentRaw), err
	}
	if err := w.findJob(ctx, c); err != nil {
		return nil, err
	}
	if done, err := w.check(&current); done {
		return w.refetch(ctx, c, currentRaw), err
	}
	timedOut := func() (json.RawMessage, error) {
		if ctx.Err() == context.DeadlineExceeded {
			return currentRaw, fmt.Errorf("gave up waiting after %s: container %s is %s", timeout, current.UUID, current.stateText())
		}
		return currentRaw, ctx.Err()
	}
	for {
		select {
		case <-ctx.Done():
			return timedOut()
		case b, ok := <-msgs:
			if !ok {
				// The stream ended; the poll carries on, now more often.
				msgs = nil
				poll.Reset(2 * time.Second)
				continue
			}
			var ev struct {
				Type string          `json:"type"`
				Data json.RawMessage `json:"data"`
			}
			if json.Unmarshal(b, &ev) != nil {
				continue
			}
			switch ev.Type {
			case "container.state":
				if done, err := handle(ev.Data); done {
					return currentRaw, err
				}
			case "job.progress":
				var j jobView
				if json.Unmarshal(ev.Data, &j) != nil || j.Job == "" || j.Job != w.job || w.jobDone {
					continue
				}
				w.jobUpdate(j)
				if done, err := w.check(&current); done {
					return w.refetch(ctx, c, currentRaw), err
				}
			}
		case <-poll.C:
			var raw json.RawMessage
			if err := c.Do(ctx, "GET", containerPath(w.answer.UUID, ""), nil, &raw); err != nil {
				if ctx.Err() != nil {
					return timedOut()
				}
				return currentRaw, err
			}
			if !w.jobDone {
				if err := w.findJob(ctx, c); err != nil {
					if ctx.Err() != nil {
						return timedOut()
					}
					return currentRaw, err
				}
			}
			if done, err := handle(raw); done {
				return currentRaw, err
			}
		}
	}
}

// refetch returns the container as the API has it now (for --json), or fallback.
func (w *waiter) refetch(ctx context.Context, c *Client, fallback json.RawMessage) json.RawMessage {
	var raw json.RawMessage
	if err := c.Do(ctx, "GET", containerPath(w.answer.UUID, ""), nil, &raw); err != nil {
		return fallback
	}
	return raw
}

func containerDelete(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("container delete", e)
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	id, err := ctUUIDArg(fs, args, "delete UUID [--yes]")
	if err != nil {
		return err
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	if !*yes {
		f, ok := e.Stdin.(*os.File)
		terminal := false
		if ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				terminal = true
			}
		}
		if !terminal {
			return usageError{"refusing to delete without --yes when stdin is not a terminal"}
		}
		var v containerView
		if err := c.Do(ctx, "GET", containerPath(id, ""), nil, &v); err != nil {
			return err
		}
		fmt.Fprintf(e.Stderr, "Delete container %q (%s, %s) and its Docker container? Its logs stay readable. [y/N] ", v.Title, v.Image, v.stateText())
		line, _ := bufio.NewReader(e.Stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			fmt.Fprintln(e.Stderr, "Not deleted.")
			return nil
		}
	}
	raw, v, err := doContainer(ctx, c, "DELETE", containerPath(id, ""), nil)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Stdout, raw)
	}
	fmt.Fprintf(e.Stdout, "Container %q is being deleted\n", v.Title)
	return nil
}

// ctLogLine is one line of a container's output, as the API sends it.
type ctLogLine struct {
	Time   time.Time `json:"time"`
	Stream string    `json:"stream"`
	Line   string    `json:"line"`
}

// finished lists the states in which a container writes no more output.
var ctFinished = map[store.State]bool{store.StateInitial: true, store.StateStopped: true, store.StateExited: true,
	store.StateFailed: true, store.StateDeleted: true, store.StateNotFound: true}

func containerLogs(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("container logs", e)
	tail := fs.Int("tail", 500, "number of stored lines to show, at most 10000 (0 with --since: all since then)")
	since := fs.String("since", "", "only lines since then: a duration back from now (10m, 2h) or an RFC 3339 time")
	follow := fs.Bool("follow", false, "keep printing new lines until interrupted or the container stops")
	fs.BoolVar(follow, "f", false, "short for --follow")
	stamps := fs.Bool("timestamps", false, "prefix each line with its time and stream")
	asJSON := fs.Bool("json", false, "print each line as a JSON object {time, stream, line}")
	id, err := ctUUIDArg(fs, args, "logs UUID [--tail N] [--since 10m] [--follow]")
	if err != nil {
		return err
	}
	if *tail < 0 || *tail > 10000 {
		return usageError{"--tail must be between 0 and 10000"}
	}
	var sinceT time.Time
	if *since != "" {
		if sinceT, err = ctParseSince(*since); err != nil {
			return usageError{"--since: " + err.Error()}
		}
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	emit := func(l ctLogLine) {
		switch {
		case *asJSON:
			b, _ := json.Marshal(l)
			fmt.Fprintln(e.Stdout, string(b))
		case *stamps:
			fmt.Fprintf(e.Stdout, "%s %s %s\n", l.Time.Local().Format(time.RFC3339Nano), l.Stream, l.Line)
		default:
			fmt.Fprintln(e.Stdout, l.Line)
		}
	}
	stored := func() error {
		q := url.Values{}
		q.Set("tail", strconv.Itoa(*tail))
		if !sinceT.IsZero() {
			q.Set("since", sinceT.UTC().Format(time.RFC3339Nano))
		}
		var out struct {
			Items []ctLogLine `json:"items"`
		}
		if *tail == 0 && sinceT.IsZero() {
			return nil
		}
		if err := c.Do(ctx, "GET", containerPath(id, "/logs")+"?"+q.Encode(), nil, &out); err != nil {
			return err
		}
		for _, l := range out.Items {
			emit(l)
		}
		return nil
	}
	if !*follow {
		return stored()
	}
	var v containerView
	if err := c.Do(ctx, "GET", containerPath(id, ""), nil, &v); err != nil {
		return err
	}
	if ctFinished[v.State] && v.DesiredState != store.StateRunning {
		// Nothing more will come: show what is stored and say why there is nothing to follow.
		if err := stored(); err != nil {
			return err
		}
		fmt.Fprintf(e.Stderr, "(container %s is %s; not following)\n", v.UUID, v.stateText())
		return nil
	}
	return followLogs(ctx, e, c, v, *tail, sinceT, emit)
}

// followLogs prints the stored tail and then new lines from the log stream, until ctx ends (interrupt), the
// container is deleted, or it stops (seen on /api/v1/ws as a container.state change).
func followLogs(ctx context.Context, e *Env, c *Client, v containerView, tail int, since time.Time, emit func(ctLogLine)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	live, err := c.dialWS(ctx, "/api/v1/ws")
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer live.Close()
	stream, err := c.dialWS(ctx, containerPath(v.UUID, "/logs/stream")+"?tail="+strconv.Itoa(tail))
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer stream.Close()
	lines, lineErr := ctReadWS(ctx, stream)
	events, _ := ctReadWS(ctx, live)
	// After a stop, lines Docker wrote just before it may still be on their way: they get a moment to arrive.
	var drain <-chan time.Time
	// The container may have stopped between the first look and the subscription.
	if err := c.Do(ctx, "GET", containerPath(v.UUID, ""), nil, &v); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	if ctFinished[v.State] && v.DesiredState != store.StateRunning {
		fmt.Fprintf(e.Stderr, "(container %s is %s)\n", v.UUID, v.stateText())
		drain = time.After(time.Second)
	}
	for {
		select {
		case <-ctx.Done():
			return nil // interrupted
		case <-drain:
			return nil
		case b, ok := <-lines:
			if !ok {
				err := <-lineErr
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					switch ce.Code {
					case websocket.CloseNormalClosure:
						fmt.Fprintf(e.Stderr, "(container %s was deleted)\n", v.UUID)
						return nil
					case websocket.CloseTryAgainLater:
						return fmt.Errorf("the log stream was dropped: this client could not keep up")
					default:
						return fmt.Errorf("the log stream ended: %s", ce.Text)
					}
				}
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("the log stream ended: %w", err)
			}
			var l ctLogLine
			if json.Unmarshal(b, &l) != nil {
				continue
			}
			if !since.IsZero() && l.Time.Before(since) {
				continue
			}
			emit(l)
		case b, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			var ev struct {
				Type string        `json:"type"`
				Data containerView `json:"data"`
			}
			if json.Unmarshal(b, &ev) != nil || ev.Type != "container.state" || ev.Data.UUID != v.UUID {
				continue
			}
			if ctFinished[ev.Data.State] && ev.Data.DesiredState != store.StateRunning && drain == nil {
				fmt.Fprintf(e.Stderr, "(container %s is %s)\n", v.UUID, ev.Data.stateText())
				drain = time.After(time.Second)
			}
		}
	}
}

func containerOpen(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("container open", e)
	id, err := ctUUIDArg(fs, args, "open UUID")
	if err != nil {
		return err
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	var v containerView
	if err := c.Do(ctx, "POST", containerPath(id, "/open"), nil, &v); err != nil {
		return err
	}
	target := v.ProxyURL
	if !strings.Contains(target, "://") {
		target = c.URL + target
	}
	fmt.Fprintln(e.Stdout, target)
	if v.State != store.StateRunning {
		fmt.Fprintf(e.Stderr, "(container is %s; the page waits until the app answers)\n", v.stateText())
	}
	// $BROWSER holds commands separated by colons; %s stands for the URL, otherwise it is appended.
	if browser := strings.TrimSpace(strings.Split(e.Getenv("BROWSER"), ":")[0]); browser != "" {
		words := strings.Fields(browser)
		found := false
		for i, w := range words {
			if strings.Contains(w, "%s") {
				words[i] = strings.ReplaceAll(w, "%s", target)
				found = true
			}
		}
		if !found {
			words = append(words, target)
		}
		cmd := exec.CommandContext(ctx, words[0], words[1:]...)
		cmd.Stdout, cmd.Stderr = e.Stderr, e.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("$BROWSER (%s): %w", words[0], err)
		}
	}
	return nil
}

// doContainer sends a request that answers with a container object and returns the answer raw (for --json) and
// decoded.
func doContainer(ctx context.Context, c *Client, method, path string, body any) (json.RawMessage, containerView, error) {
	var raw json.RawMessage
	var v containerView
	if err := c.Do(ctx, method, path, body, &raw); err != nil {
		return nil, v, err
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, v, fmt.Errorf("unexpected answer: %w", err)
	}
	return raw, v, nil
}
