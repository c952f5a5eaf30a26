package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/bihealth/kiosc/app/store"
)

func containerAction(action string) func(ctx context.Context, e *Env, args []string) error {
	return func(ctx context.Context, e *Env, args []string) error {
		fs := newFlags("container "+action, e)
		wait := fs.Bool("wait", false, "wait until the container gets there (or fails), printing each state")
		timeout := fs.Duration("timeout", 5*time.Minute, "with --wait: give up after this long")
		asJSON := fs.Bool("json", false, "print the API's JSON")
		id, err := ctUUIDArg(fs, args, action+" UUID [--wait] [--timeout 5m] [--json]")
		if err != nil {
			return err
		}
		if *timeout <= 0 {
			return usageError{"--timeout must be positive"}
		}
		c, err := clientFor(e)
		if err != nil {
			return err
		}
		return runAction(ctx, e, c, action, id, *wait, *timeout, *asJSON)
	}
}

// runAction posts an action and, with wait, follows the container until it reaches the action's goal.
func runAction(ctx context.Context, e *Env, c *Client, action, id string, wait bool, timeout time.Duration, asJSON bool) error {
	var live *websocket.Conn
	if wait {
		// Listen before asking, so no state change can slip between the answer and the first event.
		live, _ = c.dialWS(ctx, "/api/v1/ws")
		if live != nil {
			defer live.Close()
		}
	}
	raw, v, err := doContainer(ctx, c, "POST", containerPath(id, "/"+action), nil)
	if err != nil {
		return err
	}
	if !wait {
		if asJSON {
			return printJSON(e.Stdout, raw)
		}
		fmt.Fprintf(e.Stdout, "Container %q: %s requested (state %s)\n", v.Title, action, v.stateText())
		return nil
	}
	w := &waiter{action: action, answer: v}
	final, err := w.follow(ctx, e, c, live, timeout)
	if action == "update" && err == nil && !asJSON && w.jobMsg != "" {
		fmt.Fprintf(e.Stdout, "%s  update: %s\n", time.Now().Format("15:04:05"), w.jobMsg)
	}
	if asJSON && final != nil {
		if perr := printJSON(e.Stdout, final); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}

// dialWS opens a websocket to the API with the token.
func (c *Client) dialWS(ctx context.Context, path string) (*websocket.Conn, error) {
	u, err := url.Parse(c.URL + path)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "https":
		u.Scheme = "wss"
	default:
		u.Scheme = "ws"
	}
	d := *websocket.DefaultDialer
	d.HandshakeTimeout = 15 * time.Second
	if t, ok := c.HTTP.Transport.(*http.Transport); ok && t.TLSClientConfig != nil {
		d.TLSClientConfig = t.TLSClientConfig
	}
	h := http.Header{}
	h.Set("Authorization", "Token "+c.Token)
	conn, res, err := d.DialContext(ctx, u.String(), h)
	if err != nil {
		if res != nil && res.Body != nil {
			defer res.Body.Close()
			b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
			var eb struct {
				Error *APIError `json:"error"`
			}
			if json.Unmarshal(b, &eb) == nil && eb.Error != nil {
				eb.Error.Status = res.StatusCode
				return nil, eb.Error
			}
		}
		return nil, fmt.Errorf("cannot open %s: %w", path, err)
	}
	conn.SetReadLimit(8 << 20)
	return conn, nil
}

// ctReadWS delivers the text messages of conn until it closes (the error says why) or ctx ends.
func ctReadWS(ctx context.Context, conn *websocket.Conn) (<-chan []byte, <-chan error) {
	msgs, errc := make(chan []byte, 64), make(chan error, 1)
	go func() {
		defer close(msgs)
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				errc <- err
				return
			}
			select {
			case msgs <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		<-ctx.Done()
		_ = conn.Close()
	}()
	return msgs, errc
}

// waiter decides when an action is done from the container's successive states and the action's job.
type waiter struct {
	action string
	answer containerView // the action's answer: the state right after the request
	last   string
	// job is the background job doing the action (the newest job of that action after the request; identical
	// requests share one). Until it has finished, a failure state may be left over from an earlier attempt: right
	// after `start` the record still shows why the last start failed.
	job     string
	jobDone bool
	jobErr  string
	jobMsg  string // what the finished job said last
}

// jobView is a job as the API and the live stream show it.
type jobView struct {
	UUID    string `json:"uuid"`
	Job     string `json:"job"` // the live stream's name for the UUID
	Action  string `json:"action"`
	State   string `json:"state"`
	Message string `json:"message"`
}

// findJob looks up the job of the action just requested; it may already have finished.
func (w *waiter) findJob(ctx context.Context, c *Client) error {
	var jobs struct {
		Items []jobView `json:"items"`
	}
	if err := c.Do(ctx, "GET", containerPath(w.answer.UUID, "/jobs")+"?limit=20", nil, &jobs); err != nil {
		return err
	}
	for _, j := range jobs.Items { // newest first
		if j.Action == w.action {
			w.job = j.UUID
			w.jobUpdate(j)
			return nil
		}
	}
	// No job: the request changed nothing the worker needs to act on; states after the answer decide.
	w.jobDone = true
	return nil
}

// jobUpdate notes the job's state.
func (w *waiter) jobUpdate(j jobView) {
	if j.State == store.JobDone || j.State == store.JobFailed {
		w.jobDone, w.jobMsg = true, j.Message
		if j.State == store.JobFailed {
			w.jobErr = j.Message
		}
	}
}

// check reports whether v ends the wait, and the error if it ends in failure.
func (w *waiter) check(v *containerView) (bool, error) {
	fail := func() (bool, error) {
		msg := v.stateText()
		if v.StateMessage != "" {
			msg += ": " + v.StateMessage
		} else if w.jobErr != "" {
			msg += ": " + w.jobErr
		}
		if v.State == store.StateExited && v.ExitCode != nil {
			msg += fmt.Sprintf(" (exit code %d)", *v.ExitCode)
		}
		return true, fmt.Errorf("container %s: %s", v.UUID, msg)
	}
	switch w.action {
	case "start", "restart":
		if v.State == store.StateRunning {
			// A restart recreates the container: it is done when the app has answered again since the request.
			if w.action == "start" || (v.ReadyAt != nil && (w.answer.ReadyAt == nil || v.ReadyAt.After(*w.answer.ReadyAt))) {
				return true, nil
			}
			return false, nil
		}
		if !w.jobDone {
			return false, nil
		}
		switch {
		case v.State == store.StateFailed, v.State == store.StateDeleting, v.State == store.StateDeleted, v.State == store.StateNotFound:
			return fail()
		case v.State == store.StateExited && (v.DesiredState != store.StateRunning || v.Retries >= v.MaxRetries):
			return fail()
		case v.DesiredState != store.StateRunning:
			return true, fmt.Errorf("container %s: now meant to be %s (someone else asked)", v.UUID, v.DesiredState)
		case w.jobErr != "" && v.State != store.StateStarting && v.State != store.StatePulling && v.State != store.StateCreating:
			return fail()
		}
	case "update":
		// Done when the update's job is: a container meant to run is running again (on the new image), one that
		// is not got the image for its next start.
		if !w.jobDone {
			return false, nil
		}
		switch {
		case w.jobErr != "":
			return true, fmt.Errorf("container %s: %s", v.UUID, w.jobErr)
		case v.State == store.StateRunning || v.DesiredState != store.StateRunning:
			return true, nil
		case v.State == store.StateFailed, v.State == store.StateExited, v.State == store.StateDeleting, v.State == store.StateDeleted:
			return fail()
		}
	case "stop":
		switch v.State {
		case store.StateStopped, store.StateExited, store.StateInitial, store.StateDeleted, store.StateNotFound:
			return true, nil
		case store.StateFailed:
			// A container kiosc could not get running has been stopped (or never ran): stopping it is done once
			// the job has run, or at once if there is none.
			if w.jobDone && w.jobErr == "" {
				return true, nil
			}
		}
		if !w.jobDone {
			return false, nil
		}
		if w.jobErr != "" {
			return fail()
		}
		if v.DesiredState != store.StateStopped {
			return true, fmt.Errorf("container %s: now meant to be %s (someone else asked)", v.UUID, v.DesiredState)
		}
	}
	return false, nil
}

// print writes a line for each new state.
func (w *waiter) print(e *Env, v *containerView) {
	line := v.stateText()
	if v.StateMessage != "" {
		line += ": " + v.StateMessage
	}
	if line == w.last {
		return
	}
	w.last = line
	fmt.Fprintf(e.Stdout, "%s  %s\n", time.Now().Format("15:04:05"), line)
}

// follow waits for the action's goal. State changes and job progress come from the live event stream /api/v1/ws;
// a slow GET of the container and its jobs every few seconds covers what the stream cannot (it could not be
// opened, it dropped this client for being slow, or a proxy in between does not pass websockets).
func (w *waiter) follow(ctx context.Context, e *Env, c *Client, live *websocket.Conn, timeout time.Duration) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var msgs <-chan []byte
	pollEvery := 2 * time.Second
	if live != nil {
		msgs, _ = ctReadWS(ctx, live)
		pollEvery = 15 * time.Second
	}
	poll := time.NewTicker(pollEvery)
	defer poll.Stop()
	current := w.answer
	var currentRaw json.RawMessage
	handle := func(raw json.RawMessage) (bool, error) {
		var v containerView
		if err := json.Unmarshal(raw, &v); err != nil || v.UUID != w.answer.UUID {
			return false, nil
		}
		if v.UpdatedAt.Before(current.UpdatedAt) {
			return false, nil // an older event overtaken by a newer answer
		}
		current, currentRaw = v, raw
		w.print(e, &v)
		return w.check(&v)
	}
	// The action's answer is the first state.
	w.print(e, &current)
	if done, err := w.check(&current); done {
		return w.refetch(ctx, c, currentRaw), err
	}
	if err := w.findJob(ctx, c); err != nil {
		return nil, err
	}
	if done, err := w.check(&current); done {
		return w.refetch(ctx, c, currentRaw), err
	}
	timedOut := func() (json.RawMessage, error) {
		if ctx.Err() == context.DeadlineExceeded {
			return currentRaw, fmt.Errorf("gave up waiting after %s: container %s is %s", timeout, current.UUID, current.stateText())
		}
		return currentRaw, ctx.Err()
	}
	for {
		select {
		case <-ctx.Done():
			return timedOut()
		case b, ok := <-msgs:
			if !ok {
				// The stream ended; the poll carries on, now more often.
				msgs = nil
				poll.Reset(2 * time.Second)
				continue
			}
			var ev struct {
				Type string          `json:"type"`
				Data json.RawMessage `json:"data"`
			}
			if json.Unmarshal(b, &ev) != nil {
				continue
			}
			switch ev.Type {
			case "container.state":
				if done, err := handle(ev.Data); done {
					return currentRaw, err
				}
			case "job.progress":
				var j jobView
				if json.Unmarshal(ev.Data, &j) != nil || j.Job == "" || j.Job != w.job || w.jobDone {
					continue
				}
				w.jobUpdate(j)
				if done, err := w.check(&current); done {
					return w.refetch(ctx, c, currentRaw), err
				}
			}
		case <-poll.C:
			var raw json.RawMessage
			if err := c.Do(ctx, "GET", containerPath(w.answer.UUID, ""), nil, &raw); err != nil {
				if ctx.Err() != nil {
					return timedOut()
				}
				return currentRaw, err
			}
			if !w.jobDone {
				if err := w.findJob(ctx, c); err != nil {
					if ctx.Err() != nil {
						return timedOut()
					}
					return currentRaw, err
				}
			}
			if done, err := handle(raw); done {
				return currentRaw, err
			}
		}
	}
}

// refetch returns the container as the API has it now (for --json), or fallback.
func (w *waiter) refetch(ctx context.Context, c *Client, fallback json.RawMessage) json.RawMessage {
	var raw json.RawMessage
	if err := c.Do(ctx, "GET", containerPath(w.answer.UUID, ""), nil, &raw); err != nil {
		return fallback
	}
	return raw
}
