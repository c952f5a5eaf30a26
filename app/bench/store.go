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
	dir, err := os.MkdirTemp("", "kiosc-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(filepath.Join(dir, "kiosc.db"))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if err := st.Migrate(ctx, os.DirFS("migrations"), slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		return nil, err
	}
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
