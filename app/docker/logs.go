package docker

import (
	"bufio"
	"context"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// LogLine is one line of a container's output.
type LogLine struct {
	Time   time.Time
	Stream string // stdout or stderr
	Line   string
}

// LogOptions selects which logs to read.
type LogOptions struct {
	Follow bool
	Since  time.Time // exclusive lower bound is the caller's job; Docker's is inclusive to the second fraction
	Tail   int       // 0: all
}

// Logs reads the container's (non-TTY) logs with timestamps, calling fn for every line, until the logs end (or, with
// Follow, the container stops or ctx ends).
func (c *Client) Logs(ctx context.Context, id string, o LogOptions, fn func(LogLine)) error {
	c.count()
	opts := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true, Follow: o.Follow}
	if !o.Since.IsZero() {
		opts.Since = strconv.FormatFloat(float64(o.Since.UnixNano())/1e9, 'f', 9, 64)
	}
	if o.Tail > 0 {
		opts.Tail = strconv.Itoa(o.Tail)
	}
	rc, err := c.cli.ContainerLogs(ctx, id, opts)
	if err != nil {
		return wrap(err)
	}
	return readLogs(ctx, rc, fn)
}

// readLogs splits Docker's multiplexed log stream (with timestamps) into lines, calling fn for every one.
func readLogs(ctx context.Context, rc io.ReadCloser, fn func(LogLine)) error {
	defer rc.Close()
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	done := make(chan struct{}, 2)
	lines := make(chan LogLine, 64)
	scan := func(r io.Reader, stream string) {
		defer func() { done <- struct{}{} }()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			lines <- parseLogLine(sc.Text(), stream)
		}
		_, _ = io.Copy(io.Discard, r)
	}
	go scan(outR, "stdout")
	go scan(errR, "stderr")
	copyErr := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(outW, errW, rc)
		outW.Close()
		errW.Close()
		copyErr <- err
	}()
	for n := 0; n < 2; {
		select {
		case l := <-lines:
			fn(l)
		case <-done:
			n++
		}
	}
	for {
		select {
		case l := <-lines:
			fn(l)
		default:
			err := <-copyErr
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
	}
}

// parseLogLine splits Docker's "<RFC3339Nano timestamp> <line>".
func parseLogLine(s, stream string) LogLine {
	ts, rest, ok := strings.Cut(s, " ")
	if ok {
		if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
			return LogLine{Time: t.UTC(), Stream: stream, Line: strings.TrimRight(rest, "\r")}
		}
	}
	return LogLine{Time: time.Now().UTC(), Stream: stream, Line: strings.TrimRight(s, "\r")}
}
