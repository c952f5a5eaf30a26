package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

const (
	coldStartRuns   = 5
	coldStartTarget = 300 * time.Millisecond
	// The populated data dir of the cold start.
	coldStartContainers = 1000
	coldStartTimeline   = 10000
)

// benchColdStart starts the real `kiosc serve` as a subprocess, on an empty data dir and on one with 1000 containers
// and 10,000 timeline rows, and times the process start to the first 200 from /healthz and from /readyz.
func benchColdStart(ctx context.Context) ([]row, error) {
	bin, binNote, done, err := kioscBinary(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	tmp, err := os.MkdirTemp("", "kiosc-bench-coldstart-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	var rows []row
	report := func(name string, health, ready []time.Duration) {
		h, r := medianDuration(health), medianDuration(ready)
		rows = append(rows,
			row{name + ": /healthz 200", fmt.Sprintf("%.0f ms", ms(h)), fmt.Sprintf("median of %d starts (%.0f-%.0f ms) [target < %.0f ms: %s]",
				len(health), ms(slices.Min(health)), ms(slices.Max(health)), ms(coldStartTarget), verdict(h < coldStartTarget))},
			row{name + ": /readyz 200", fmt.Sprintf("%.0f ms", ms(r)), fmt.Sprintf("median (%.0f-%.0f ms): database open and migrated, keys loaded, routes built, Docker answered",
				ms(slices.Min(ready)), ms(slices.Max(ready)))},
		)
	}

	var health, ready []time.Duration
	for i := range coldStartRuns {
		h, r, err := timeStart(bin, filepath.Join(tmp, fmt.Sprintf("empty-%d", i)))
		if err != nil {
			return nil, fmt.Errorf("empty data dir: %w", err)
		}
		health, ready = append(health, h), append(ready, r)
	}
	report("empty data dir", health, ready)

	full := filepath.Join(tmp, "full")
	t0 := time.Now()
	if err := prepareDataDir(ctx, full); err != nil {
		return nil, err
	}
	prepared := time.Since(t0)
	// The first start generates the key and the admin; the measured ones find them.
	if _, _, err := timeStart(bin, full); err != nil {
		return nil, fmt.Errorf("populated data dir: %w", err)
	}
	health, ready = health[:0], ready[:0]
	for range coldStartRuns {
		h, r, err := timeStart(bin, full)
		if err != nil {
			return nil, fmt.Errorf("populated data dir: %w", err)
		}
		health, ready = append(health, h), append(ready, r)
	}
	report(fmt.Sprintf("%d containers, %d timeline rows", coldStartContainers, coldStartTimeline), health, ready)
	rows = append(rows, row{"method", "", fmt.Sprintf("%s serve as a subprocess, from exec to the first 200 (polled every millisecond); "+
		"the populated data dir (prepared in %.1f s) is started once before the measured starts", binNote, prepared.Seconds())})
	return rows, nil
}

// timeStart starts kiosc on dir and returns the times to /healthz 200 and /readyz 200.
func timeStart(bin, dir string) (health, ready time.Duration, err error) {
	k, err := startKiosc(bin, dir)
	if err != nil {
		return 0, 0, err
	}
	defer k.stop()
	if health, err = k.waitFor("/healthz", 30*time.Second); err != nil {
		return 0, 0, err
	}
	if ready, err = k.waitFor("/readyz", time.Minute); err != nil {
		return 0, 0, err
	}
	return health, ready, nil
}

// prepareDataDir creates a migrated database with coldStartContainers stopped containers (no Docker containers
// behind them) and coldStartTimeline timeline rows.
func prepareDataDir(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	st, err := openStore(ctx, dir)
	if err != nil {
		return err
	}
	defer st.Close()
	proj := &store.Project{Title: "bench", Type: store.TypeProject, Source: "local"}
	if err := st.CreateProject(ctx, proj); err != nil {
		return err
	}
	for i := range coldStartContainers {
		c := &store.Container{ProjectID: proj.ID, Container: settings.Container{Title: fmt.Sprintf("app %04d", i),
			Image: "kiosc-bench/absent:1", ContainerPort: 8080, StripPrefix: true}}
		c.State, c.DesiredState = store.StateStopped, store.StateStopped
		if err := st.CreateContainer(ctx, c); err != nil {
			return err
		}
	}
	for i := range coldStartTimeline {
		if err := st.CreateTimelineEvent(ctx, &store.TimelineEvent{ProjectUUID: proj.UUID, EventName: "bench",
			Description: fmt.Sprintf("event %d", i)}); err != nil {
			return err
		}
	}
	return nil
}

func medianDuration(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
