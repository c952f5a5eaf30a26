package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

// `kiosc container ...`: list, show, create, edit, start, stop, restart, delete, logs and open, on the container
// endpoints of the REST API (spec sections 5, 7 and 8).

func containerCommands() []Command {
	return []Command{
		{Name: "list", Args: "[--project UUID] [--state STATE]", Summary: "containers you can see", Run: containerList},
		{Name: "show", Args: "UUID", Summary: "every field of a container (secret values are never shown)", Run: containerShow},
		{Name: "create", Args: "--project UUID --image IMAGE [flags] [--start]", Summary: "create a container (-h lists the fields)", Run: containerCreate},
		{Name: "edit", Args: "UUID [flags]", Summary: "change the given fields of a container", Run: containerEdit},
		{Name: "start", Args: "UUID [--wait] [--timeout 5m]", Summary: "start a container", Run: containerAction("start")},
		{Name: "stop", Args: "UUID [--wait] [--timeout 5m]", Summary: "stop a container", Run: containerAction("stop")},
		{Name: "restart", Args: "UUID [--wait] [--timeout 5m]", Summary: "recreate and start a container", Run: containerAction("restart")},
		{Name: "delete", Args: "UUID [--yes] [--delete-volumes]", Summary: "delete a container and its Docker container (its volumes are kept unless --delete-volumes)", Run: containerDelete},
		{Name: "logs", Args: "UUID [--tail N] [--since 10m] [--follow]", Summary: "the container's output", Run: containerLogs},
		{Name: "open", Args: "UUID", Summary: "print the URL of the app (and open it with $BROWSER)", Run: containerOpen},
	}
}

// containerPath is /api/v1/containers/<uuid> plus suffix; the UUID is escaped so it cannot leave the path.
func containerPath(id, suffix string) string {
	return "/api/v1/containers/" + url.PathEscape(id) + suffix
}

// ctListPageSize is how many containers one request of `container list` asks for.
var ctListPageSize = 100

func containerList(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("container list", e)
	project := fs.String("project", "", "only the containers of this project (UUID)")
	state := fs.String("state", "", "only containers in this state (running, stopped, failed, ...)")
	asJSON := fs.Bool("json", false, "print the API's JSON (all pages as one list)")
	if err := ctParseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"usage: kiosc container list [--project UUID] [--state STATE] [--json]"}
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	q := url.Values{}
	if *project != "" {
		q.Set("project", *project)
	}
	if *state != "" {
		q.Set("state", *state)
	}
	// Page through the list: the API answers at most a few hundred items per request.
	var items []json.RawMessage
	total := 0
	for {
		q.Set("limit", strconv.Itoa(ctListPageSize))
		q.Set("offset", strconv.Itoa(len(items)))
		var page struct {
			Items []json.RawMessage `json:"items"`
			Total int               `json:"total"`
		}
		if err := c.Do(ctx, "GET", "/api/v1/containers?"+q.Encode(), nil, &page); err != nil {
			return err
		}
		items = append(items, page.Items...)
		total = page.Total
		if len(page.Items) == 0 || len(items) >= total {
			break
		}
	}
	if *asJSON {
		if items == nil {
			items = []json.RawMessage{}
		}
		b, err := json.Marshal(map[string]any{"items": items, "total": total})
		if err != nil {
			return err
		}
		return printJSON(e.Stdout, b)
	}
	rows := [][]string{{"UUID", "PROJECT", "TITLE", "IMAGE", "STATE", "LAST ACCESS"}}
	for _, raw := range items {
		var v containerView
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("unexpected answer: %w", err)
		}
		rows = append(rows, []string{v.UUID, v.Project, v.Title, v.Image, v.stateText(), when(v.LastAccessAt)})
	}
	table(e.Stdout, rows)
	return nil
}

func containerShow(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("container show", e)
	asJSON := fs.Bool("json", false, "print the API's JSON")
	id, err := ctUUIDArg(fs, args, "show UUID [--json]")
	if err != nil {
		return err
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := c.Do(ctx, "GET", containerPath(id, ""), nil, &raw); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Stdout, raw)
	}
	return showContainer(e.Stdout, raw)
}

func containerCreate(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("container create", e)
	project := fs.String("project", "", "project UUID (required)")
	f := addFieldFlags(fs)
	start := fs.Bool("start", false, "start the container once it is created")
	wait := fs.Bool("wait", false, "with --start: wait until it runs (or fails)")
	timeout := fs.Duration("timeout", 5*time.Minute, "with --wait: give up after this long")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	if err := ctParseFlags(fs, args); err != nil {
		return err
	}
	if *project == "" || fs.NArg() != 0 {
		return usageError{"usage: kiosc container create --project UUID --image IMAGE [flags] (kiosc container create -h lists them)"}
	}
	if *wait && !*start {
		return usageError{"--wait needs --start"}
	}
	body, err := f.body(e, nil)
	if err != nil {
		return err
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	raw, v, err := doContainer(ctx, c, "POST", "/api/v1/projects/"+url.PathEscape(*project)+"/containers", body)
	if err != nil {
		return err
	}
	if !*start {
		if *asJSON {
			return printJSON(e.Stdout, raw)
		}
		fmt.Fprintf(e.Stdout, "Container %q created: %s\n", v.Title, v.UUID)
		return nil
	}
	if !*asJSON {
		fmt.Fprintf(e.Stdout, "Container %q created: %s\n", v.Title, v.UUID)
	}
	return runAction(ctx, e, c, "start", v.UUID, *wait, *timeout, *asJSON)
}

func containerEdit(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("container edit", e)
	f := addFieldFlags(fs)
	asJSON := fs.Bool("json", false, "print the API's JSON")
	id, err := ctUUIDArg(fs, args, "edit UUID [flags] (kiosc container edit -h lists them)")
	if err != nil {
		return err
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	var current *containerView
	if f.needsCurrent() {
		current = &containerView{}
		if err := c.Do(ctx, "GET", containerPath(id, ""), nil, current); err != nil {
			return err
		}
	}
	body, err := f.body(e, current)
	if err != nil {
		return err
	}
	if len(body) == 0 {
		return usageError{"nothing to change: give the fields to edit as flags (kiosc container edit -h lists them)"}
	}
	raw, v, err := doContainer(ctx, c, "PATCH", containerPath(id, ""), body)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Stdout, raw)
	}
	fmt.Fprintf(e.Stdout, "Container %q updated\n", v.Title)
	var pending struct {
		RestartPending bool `json:"restart_pending"`
	}
	if json.Unmarshal(raw, &pending) == nil && pending.RestartPending {
		fmt.Fprintf(e.Stdout, "It is running with the old settings; `kiosc container restart %s` applies the changes.\n", v.UUID)
	}
	return nil
}

func containerDelete(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("container delete", e)
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	delVolumes := fs.Bool("delete-volumes", false, "remove the container's own volumes too (default: kept for KIOSC_REMOVE_VOLUMES_AFTER)")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	id, err := ctUUIDArg(fs, args, "delete UUID [--yes] [--delete-volumes]")
	if err != nil {
		return err
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	if !*yes {
		f, ok := e.Stdin.(*os.File)
		terminal := false
		if ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				terminal = true
			}
		}
		if !terminal {
			return usageError{"refusing to delete without --yes when stdin is not a terminal"}
		}
		var v containerView
		if err := c.Do(ctx, "GET", containerPath(id, ""), nil, &v); err != nil {
			return err
		}
		kept := ctDeleteKeeps(v.Volumes, *delVolumes)
		fmt.Fprintf(e.Stderr, "Delete container %q (%s, %s) and its Docker container? %s [y/N] ", v.Title, v.Image, v.stateText(), kept)
		line, _ := bufio.NewReader(e.Stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			fmt.Fprintln(e.Stderr, "Not deleted.")
			return nil
		}
	}
	choice := "keep"
	if *delVolumes {
		choice = "delete"
	}
	raw, v, err := doContainer(ctx, c, "DELETE", containerPath(id, "?volumes="+choice), nil)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Stdout, raw)
	}
	fmt.Fprintf(e.Stdout, "Container %q is being deleted\n", v.Title)
	return nil
}

// ctDeleteKeeps says what a deletion keeps.
func ctDeleteKeeps(vols settings.Volumes, deleteVolumes bool) string {
	var own, shared []string
	for _, v := range vols {
		if v.Scope == settings.ScopeProject {
			shared = append(shared, v.Name)
		} else {
			own = append(own, v.Name)
		}
	}
	s := "Its logs stay readable."
	switch {
	case len(own) > 0 && deleteVolumes:
		s += " Its volumes " + strings.Join(own, ", ") + " are removed with it."
	case len(own) > 0:
		s += " Its volumes " + strings.Join(own, ", ") + " are kept (removed after the site's retention time; --delete-volumes removes them now)."
	}
	if len(shared) > 0 {
		s += " The project volumes " + strings.Join(shared, ", ") + " stay."
	}
	return s
}

func containerOpen(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("container open", e)
	id, err := ctUUIDArg(fs, args, "open UUID")
	if err != nil {
		return err
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	var v containerView
	if err := c.Do(ctx, "POST", containerPath(id, "/open"), nil, &v); err != nil {
		return err
	}
	target := v.ProxyURL
	if !strings.Contains(target, "://") {
		target = c.URL + target
	}
	fmt.Fprintln(e.Stdout, target)
	if v.State != store.StateRunning {
		fmt.Fprintf(e.Stderr, "(container is %s; the page waits until the app answers)\n", v.stateText())
	}
	// $BROWSER holds commands separated by colons; %s stands for the URL, otherwise it is appended.
	if browser := strings.TrimSpace(strings.Split(e.Getenv("BROWSER"), ":")[0]); browser != "" {
		words := strings.Fields(browser)
		found := false
		for i, w := range words {
			if strings.Contains(w, "%s") {
				words[i] = strings.ReplaceAll(w, "%s", target)
				found = true
			}
		}
		if !found {
			words = append(words, target)
		}
		cmd := exec.CommandContext(ctx, words[0], words[1:]...)
		cmd.Stdout, cmd.Stderr = e.Stderr, e.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("$BROWSER (%s): %w", words[0], err)
		}
	}
	return nil
}

// doContainer sends a request that answers with a container object and returns the answer raw (for --json) and
// decoded.
func doContainer(ctx context.Context, c *Client, method, path string, body any) (json.RawMessage, containerView, error) {
	var raw json.RawMessage
	var v containerView
	if err := c.Do(ctx, method, path, body, &raw); err != nil {
		return nil, v, err
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, v, fmt.Errorf("unexpected answer: %w", err)
	}
	return raw, v, nil
}
