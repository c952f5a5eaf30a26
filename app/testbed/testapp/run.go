package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// shutdownGrace bounds graceful shutdown so SIGTERM ends the process in well
// under a second even with open streams.
const shutdownGrace = 500 * time.Millisecond

// serveMain runs the HTTP server until SIGTERM/SIGINT and returns the exit
// code.
func serveMain(args []string, p *process) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return serve(ctx, args, os.Getenv, p)
}

// serve runs the HTTP server until ctx is done and returns the exit code.
func serve(ctx context.Context, args []string, getenv func(string) string, p *process) int {
	fmt.Fprintln(p.stderr, "testapp stderr hello")
	cfg, err := loadConfig(args, getenv, p.stderr)
	if err != nil {
		fmt.Fprintln(p.stderr, "testapp:", err)
		return 2
	}
	s := newServer(cfg, p)
	s.startBackground(ctx)
	if cfg.MemoryHogMB > 0 {
		s.allocate(cfg.MemoryHogMB)
		fmt.Fprintf(p.stdout, "testapp allocated %d MiB\n", cfg.MemoryHogMB)
	}
	if cfg.StartupDelay > 0 {
		select {
		case <-time.After(cfg.StartupDelay):
		case <-ctx.Done():
			return 0
		}
	}

	ln, err := net.Listen("tcp", ":"+strconv.Itoa(cfg.Port))
	if err != nil {
		fmt.Fprintln(p.stderr, "testapp:", err)
		return 1
	}
	fmt.Fprintf(p.stdout, "testapp listening on :%d\n", ln.Addr().(*net.TCPAddr).Port)

	srv := &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		fmt.Fprintln(p.stderr, "testapp:", err)
		return 1
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		fmt.Fprintln(p.stderr, "testapp: shutdown:", err)
	}
	fmt.Fprintln(p.stdout, "testapp stopped")
	return 0
}

// startBackground starts the environment-driven behaviour that runs
// independently of requests: CRASH_AFTER and LOG_EVERY.
func (s *server) startBackground(ctx context.Context) {
	if d := s.cfg.CrashAfter; d > 0 {
		code := s.cfg.CrashCode
		t := time.AfterFunc(d, func() {
			fmt.Fprintf(s.p.stderr, "testapp crashing with code %d\n", code)
			s.p.exit(code)
		})
		context.AfterFunc(ctx, func() { t.Stop() })
	}
	if d := s.cfg.LogEvery; d > 0 {
		go func() {
			tick := time.NewTicker(d)
			defer tick.Stop()
			for n := 1; ; n++ {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				fmt.Fprintf(s.p.stdout, "tick %d\n", n)
				if n%3 == 0 {
					fmt.Fprintf(s.p.stderr, "tock %d\n", n)
				}
			}
		}()
	}
}
