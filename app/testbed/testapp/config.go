package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// config is the start-up configuration, read from the environment and
// overridden by flags.
type config struct {
	Port         int
	BasePath     string // "" or "/prefix/" (leading and trailing slash)
	BasePathOnly bool
	StartupDelay time.Duration
	NeverReady   bool
	CrashAfter   time.Duration
	CrashCode    int
	LogEvery     time.Duration
	MemoryHogMB  int
}

// process bundles the side effects of the program so tests can observe them.
type process struct {
	stdout io.Writer
	stderr io.Writer
	exit   func(code int)
}

// newProcess returns the real process: os.Stdout, os.Stderr and os.Exit.
func newProcess() *process {
	return &process{stdout: os.Stdout, stderr: os.Stderr, exit: os.Exit}
}

// loadConfig reads the environment through getenv and then parses args as
// flags, which take precedence. Positional arguments are ignored (they stay
// visible through /args).
func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var cfg config
	var err error
	envInt := func(name string, def int) int {
		v := getenv(name)
		if v == "" || err != nil {
			return def
		}
		n, e := strconv.Atoi(v)
		if e != nil {
			err = fmt.Errorf("%s=%q: not an integer", name, v)
		}
		return n
	}
	envDur := func(name string) time.Duration {
		v := getenv(name)
		if v == "" || err != nil {
			return 0
		}
		d, e := time.ParseDuration(v)
		if e != nil {
			err = fmt.Errorf("%s=%q: not a duration (e.g. 1s, 250ms)", name, v)
		}
		return d
	}
	cfg.Port = envInt("PORT", 8080)
	cfg.BasePath = getenv("BASE_PATH")
	cfg.BasePathOnly = getenv("BASE_PATH_ONLY") == "1"
	cfg.StartupDelay = envDur("STARTUP_DELAY")
	cfg.NeverReady = getenv("NEVER_READY") == "1"
	cfg.CrashAfter = envDur("CRASH_AFTER")
	cfg.CrashCode = envInt("CRASH_CODE", 1)
	cfg.LogEvery = envDur("LOG_EVERY")
	cfg.MemoryHogMB = envInt("MEMORY_HOG_MB", 0)
	if err != nil {
		return cfg, err
	}

	fs := flag.NewFlagSet("testapp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&cfg.Port, "port", cfg.Port, "listening port (overrides PORT; 0 picks a free port)")
	fs.StringVar(&cfg.BasePath, "base-path", cfg.BasePath, "serve routes also under this prefix (overrides BASE_PATH)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		return cfg, fmt.Errorf("port %d out of range", cfg.Port)
	}
	cfg.BasePath = normalizeBasePath(cfg.BasePath)
	return cfg, nil
}

// normalizeBasePath turns "x", "/x" and "/x/" into "/x/"; "" and "/" mean no
// base path.
func normalizeBasePath(p string) string {
	p = strings.Trim(p, "/")
	if p == "" {
		return ""
	}
	return "/" + p + "/"
}
