// Command bench measures kiosc against a real Docker engine and prints one table per section (`make bench`).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"text/tabwriter"
	"time"
)

// row is one measurement.
type row struct {
	Metric string
	Value  string
	Note   string
}

// section measures one aspect of kiosc.
type section struct {
	Title string
	Run   func(ctx context.Context) ([]row, error)
}

func sections() []section {
	return []section{
		{Title: "Store", Run: benchStore},
		{Title: "SODAR sync: mirroring a large site", Run: benchSodar},
		{Title: "Identity: permission checks and token authentication", Run: benchIdentity},
		{Title: "Lifecycle: Docker change to websocket event", Run: benchLifecycleEvents},
		{Title: "Lifecycle: state lag after changes outside kiosc", Run: benchStateLag},
		{Title: "Lifecycle: full resync with 200 containers", Run: benchLifecycleResync},
		{Title: "Lifecycle: start-to-running overhead over docker run", Run: benchLifecycleStart},
		{Title: "Proxy: throughput and latency, direct vs through kiosc", Run: benchProxyThroughput},
		{Title: "Proxy: memory with 500 open websocket tunnels", Run: benchProxyTunnels},
		{Title: "Cold start: kiosc serve to /healthz", Run: benchColdStart},
		{Title: "Memory: idle kiosc serve with 200 managed containers, and 500 tunnels", Run: benchMemory},
	}
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	// KIOSC_BENCH_CPUPROFILE=file writes a CPU profile of kiosc's side of the run (the load generator is a separate
	// process), for `go tool pprof`.
	if path := os.Getenv("KIOSC_BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	// KIOSC_BENCH_MEMPROFILE=file writes an allocation profile of the run (go tool pprof -sample_index=alloc_space).
	if path := os.Getenv("KIOSC_BENCH_MEMPROFILE"); path != "" {
		defer writeAllocProfile(path)
	}
	// KIOSC_BENCH_CASES=text runs only the proxy loads whose name contains text (to profile one of them).
	failed := false
	for _, s := range sections() {
		if !selected(s.Title, os.Args[1:]) {
			continue
		}
		if !report(ctx, os.Stdout, s) {
			failed = true
		}
	}
	if failed {
		cancel()
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// writeAllocProfile writes the allocations made so far.
func writeAllocProfile(path string) {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	defer f.Close()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}

// selected reports whether a section runs: all do without arguments, otherwise those whose title contains one of
// them (case-insensitive), e.g. `make bench BENCH=proxy`.
func selected(title string, filters []string) bool {
	if len(filters) == 0 {
		return true
	}
	for _, f := range filters {
		if strings.Contains(strings.ToLower(title), strings.ToLower(f)) {
			return true
		}
	}
	return false
}

func report(ctx context.Context, w io.Writer, s section) bool {
	fmt.Fprintf(w, "\n## %s\n\n", s.Title)
	if s.Run == nil {
		fmt.Fprintln(w, "(not measured yet)")
		return true
	}
	rows, err := s.Run(ctx)
	if err != nil {
		fmt.Fprintf(w, "FAILED: %v\n", err)
		return false
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tvalue\tnote")
	fmt.Fprintln(tw, strings.Repeat("-", 30)+"\t"+strings.Repeat("-", 14)+"\t"+strings.Repeat("-", 30))
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Metric, r.Value, r.Note)
	}
	_ = tw.Flush()
	return true
}
