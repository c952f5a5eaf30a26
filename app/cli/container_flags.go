package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

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

func (m *ctMultiFlag) String() string { return strings.Join(*m, ",") }

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
	volumes, unsetVolumes                     ctMultiFlag
	user, access                              *string
	readOnlyRootfs                            *bool
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
	fs.Var(&f.volumes, "volume", "named volume NAME:/PATH[:project][:ro] (repeatable; on edit it adds or replaces the volume of that name)")
	fs.Var(&f.unsetVolumes, "unset-volume", "stop mounting the volume NAME (repeatable; its data stays)")
	f.user = fs.String("user", "", "run as uid[:gid] or a user name the image knows (empty: the site default, else the image's user)")
	f.access = fs.String("access", "", "who may open the app: project (members), site (any user), link (also holders of its secret links) or public (anyone); link and public only where the site allows them")
	f.readOnlyRootfs = fs.Bool("read-only-rootfs", false, "mount the image's file system read-only, with a writable /tmp (--read-only-rootfs=false turns it off)")
	return f
}

// ctParseVolume reads --volume NAME:/PATH[:project][:ro] (the options in any order; "container" and "rw" are the
// defaults and may be given too).
func ctParseVolume(s string) (map[string]any, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return nil, usageError{fmt.Sprintf("--volume: %q is not NAME:/PATH[:project][:ro]", s)}
	}
	v := map[string]any{"name": parts[0], "mount_path": parts[1], "scope": "container", "read_only": false}
	for _, opt := range parts[2:] {
		switch opt {
		case "project", "container":
			v["scope"] = opt
		case "ro", "rw":
			v["read_only"] = opt == "ro"
		default:
			return nil, usageError{fmt.Sprintf("--volume %s: unknown option %q (project, container, ro or rw)", s, opt)}
		}
	}
	return v, nil
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

// needsCurrent reports whether body needs the container's current settings (on edit): the API replaces the
// environment and the volumes as a whole, so --env, --volume and their --unset-* change a copy of them.
func (f *fieldFlags) needsCurrent() bool {
	return len(f.env) > 0 || len(f.unsetEnv) > 0 || len(f.volumes) > 0 || len(f.unsetVolumes) > 0
}

// body builds the request body: the --from-file object, then the given flags over it. current holds the container's
// settings on edit (nil on create; see needsCurrent).
func (f *fieldFlags) body(e *Env, current *containerView) (map[string]any, error) {
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
		"path": f.path, "heartbeat-url": f.heartbeat, "pull-policy": f.pullPolicy, "template": f.template, "user": f.user,
		"access": f.access}
	field := map[string]string{"title": "title", "description": "description", "image": "image", "command": "command",
		"path": "container_path", "heartbeat-url": "heartbeat_url", "pull-policy": "pull_policy", "template": "template",
		"user": "user", "access": "access"}
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
	if seen["read-only-rootfs"] {
		body["read_only_rootfs"] = *f.readOnlyRootfs
	}
	if len(f.volumes) > 0 || len(f.unsetVolumes) > 0 {
		var vols []any
		if fileVols, ok := body["volumes"].([]any); ok {
			vols = fileVols
		} else if current != nil {
			for _, v := range current.Volumes {
				vols = append(vols, map[string]any{"name": v.Name, "mount_path": v.MountPath, "scope": v.Scope, "read_only": v.ReadOnly})
			}
		}
		nameOf := func(v any) string { m, _ := v.(map[string]any); s, _ := m["name"].(string); return s }
		for _, s := range f.volumes {
			v, err := ctParseVolume(s)
			if err != nil {
				return nil, err
			}
			if i := slices.IndexFunc(vols, func(x any) bool { return nameOf(x) == v["name"] }); i >= 0 {
				vols[i] = v
			} else {
				vols = append(vols, v)
			}
		}
		for _, name := range f.unsetVolumes {
			vols = slices.DeleteFunc(vols, func(x any) bool { return nameOf(x) == name })
		}
		if vols == nil {
			vols = []any{}
		}
		body["volumes"] = vols
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
		} else if current != nil {
			for k, v := range current.Environment {
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
