package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/bihealth/kiosc/app/store"
)

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
