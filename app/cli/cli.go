// Package cli is kiosc's command line: `kiosc serve` starts the server, `kiosc version` prints the build, and the
// client commands talk to a kiosc server's REST API.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/bihealth/kiosc/app/version"
)

// ServeFunc starts the server with the `kiosc serve` arguments and returns when ctx is cancelled.
type ServeFunc func(ctx context.Context, args []string) error

const usage = `kiosc runs Docker containers with web interfaces for research projects behind one authenticating proxy.

Usage:
  kiosc serve [flags]      start the server (kiosc serve -h lists every setting)
  kiosc version            print version, commit and build date
  kiosc backup FILE        write a consistent copy of the database to FILE (while kiosc runs; --data-dir DIR)
  kiosc restore FILE       replace the database by a backup (kiosc stopped; --data-dir DIR)
  kiosc help               show this help

Client commands (talk to a kiosc server's REST API with an API token):
`

// Main runs the command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer, serve ServeFunc) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage+clientUsage())
		return 2
	}
	switch args[0] {
	case "serve":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := serve(ctx, args[1:]); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintln(stderr, "kiosc serve:", err)
			return 1
		}
		return 0
	case "backup", "restore":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if args[0] == "backup" {
			return runBackup(ctx, args[1:], stdout, stderr)
		}
		return runRestore(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, version.String())
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage+clientUsage())
		return 0
	}
	if isClientCommand(args[0]) {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		e := osEnv()
		e.Stdout, e.Stderr = stdout, stderr
		return RunClient(ctx, e, args)
	}
	fmt.Fprintf(stderr, "kiosc: unknown command %q\n\n%s", args[0], usage+clientUsage())
	return 2
}
