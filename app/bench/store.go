package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/bihealth/kiosc/app/store"
)

// benchStore measures timeline appends, the most frequent write kiosc makes.
func benchStore(ctx context.Context) ([]row, error) {
	st, done, err := tempStore(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	const n = 2000
	start := time.Now()
	for i := range n {
		if err := st.CreateTimelineEvent(ctx, &store.TimelineEvent{EventName: "bench", Description: fmt.Sprint(i)}); err != nil {
			return nil, err
		}
	}
	d := time.Since(start)
	return []row{
		{"timeline appends", fmt.Sprintf("%.0f/s", n/d.Seconds()), fmt.Sprintf("%d single-row inserts, WAL, synchronous=NORMAL", n)},
	}, nil
}

// openStore opens and migrates a database in dir.
func openStore(ctx context.Context, dir string) (*store.Store, error) {
	st, err := store.Open(filepath.Join(dir, "kiosc.db"))
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx, os.DirFS("migrations"), slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		_ = st.Close()
		return nil, err
	}
	return st, nil
}

// tempStore opens a migrated database in a new temporary directory; done closes it and removes the directory.
func tempStore(ctx context.Context) (*store.Store, func(), error) {
	dir, err := os.MkdirTemp("", "kiosc-bench-")
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(ctx, dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, err
	}
	return st, func() { _ = st.Close(); _ = os.RemoveAll(dir) }, nil
}
