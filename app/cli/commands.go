package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bihealth/kiosc/app/store"
)

type projectItem struct {
	UUID   string  `json:"uuid"`
	Title  string  `json:"title"`
	Type   string  `json:"type"`
	Parent *string `json:"parent"`
	Source string  `json:"source"`
	Role   *string `json:"role"`
}

func projectCommands() []Command {
	return []Command{
		listCommand("list", "projects and categories you can see", "/api/v1/projects",
			[]string{"UUID", "TYPE", "TITLE", "SOURCE", "ROLE"}, func(p projectItem) []string {
				role := "-"
				if p.Role != nil && *p.Role != "" {
					role = *p.Role
				}
				return []string{p.UUID, strings.ToLower(p.Type), p.Title, p.Source, role}
			}),
	}
}

type tokenItem struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Token      string     `json:"token"`
}

func tokenCommands() []Command {
	return []Command{
		listCommand("list", "your API tokens", "/api/v1/tokens",
			[]string{"ID", "NAME", "PREFIX", "CREATED", "EXPIRES", "LAST USED"}, func(t tokenItem) []string {
				return []string{strconv.FormatInt(t.ID, 10), t.Name, t.Prefix, when(&t.CreatedAt), when(t.ExpiresAt), when(t.LastUsedAt)}
			}),
		{Name: "create", Args: "NAME [--expires-in 30d]", Summary: "create a token (printed once)", Run: tokenCreate},
		{Name: "revoke", Args: "ID", Summary: "revoke a token", Run: tokenRevoke},
	}
}

func tokenCreate(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("token create", e)
	expires := fs.String("expires-in", "", "lifetime such as 30d or 12h (default: no expiry)")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	if err := fs.Parse(reorder(args, "json")); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"usage: kiosc token create NAME [--expires-in 30d] [--json]"}
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	body := map[string]any{"name": fs.Arg(0)}
	if *expires != "" {
		body["expires_in"] = *expires
	}
	var raw json.RawMessage
	if err := c.Do(ctx, "POST", "/api/v1/tokens", body, &raw); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Stdout, raw)
	}
	var t tokenItem
	if err := json.Unmarshal(raw, &t); err != nil || t.Token == "" {
		return fmt.Errorf("unexpected answer: %s", raw)
	}
	fmt.Fprintf(e.Stderr, "Token %q (id %d) created; it is shown only this once:\n", t.Name, t.ID)
	fmt.Fprintln(e.Stdout, t.Token)
	return nil
}

func tokenRevoke(ctx context.Context, e *Env, args []string) error {
	if len(args) != 1 {
		return usageError{"usage: kiosc token revoke ID"}
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id <= 0 {
		return usageError{fmt.Sprintf("ID: %q is not a token id (see kiosc token list)", args[0])}
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	if err := c.Do(ctx, "DELETE", "/api/v1/tokens/"+args[0], nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "Token %d revoked\n", id)
	return nil
}

// reorder moves flags after positional arguments to the front, so `create NAME --json` works like `create --json NAME`.
// boolFlags names flags without a value.
func reorder(args []string, boolFlags ...string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		isBool := false
		for _, b := range boolFlags {
			if name == b {
				isBool = true
			}
		}
		if !isBool && !strings.Contains(a, "=") && i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	return append(flags, pos...)
}

func adminCommands() []Command {
	return []Command{
		{Name: "docker", Summary: "the Docker host as kiosc sees it: containers, networks, volumes, images", Run: adminDocker},
		{Name: "capacity", Summary: "the Docker host's CPUs and memory, what active apps reserve and use", Run: adminCapacity},
		{Name: "maintenance", Args: "TASK", Summary: "run cleanup-unused, remove-stopped, stop-all or stop-idle now", Run: adminMaintenance},
		{Name: "sync-sodar", Summary: "pull projects, users and roles from SODAR now", Run: syncSodar},
	}
}

type sodarCounts struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
	Removed int `json:"removed"`
	Skipped int `json:"skipped"`
}

type sodarRun struct {
	UUID     string                  `json:"uuid"`
	Status   string                  `json:"status"`
	Version  string                  `json:"version"`
	Counts   map[string]*sodarCounts `json:"counts"`
	Messages []struct {
		Level   string `json:"level"`
		Kind    string `json:"kind"`
		UUID    string `json:"uuid"`
		Name    string `json:"name"`
		Message string `json:"message"`
	} `json:"messages"`
	Error string `json:"error"`
}

// errSyncFailed makes the exit code non-zero when the sync ran but failed (the run is still printed).
var errSyncFailed = errors.New("SODAR sync failed")

func syncSodar(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("admin sync-sodar", e)
	asJSON := fs.Bool("json", false, "print the API's JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := c.Do(ctx, "POST", "/api/v1/admin/sodar/sync", nil, &raw); err != nil {
		return err
	}
	var run sodarRun
	if err := json.Unmarshal(raw, &run); err != nil {
		return fmt.Errorf("unexpected answer: %w", err)
	}
	if *asJSON {
		if err := printJSON(e.Stdout, raw); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.Stdout, "SODAR sync %s: %s", run.UUID, run.Status)
		if run.Version != "" {
			fmt.Fprintf(e.Stdout, " (sync API %s)", run.Version)
		}
		fmt.Fprintln(e.Stdout)
		kinds := make([]string, 0, len(run.Counts))
		for k := range run.Counts {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		rows := [][]string{{"KIND", "CREATED", "UPDATED", "REMOVED", "SKIPPED"}}
		for _, k := range kinds {
			n := run.Counts[k]
			rows = append(rows, []string{k, strconv.Itoa(n.Created), strconv.Itoa(n.Updated), strconv.Itoa(n.Removed), strconv.Itoa(n.Skipped)})
		}
		if run.Status != store.SodarRunFailed {
			table(e.Stdout, rows)
		}
		for _, m := range run.Messages {
			what := m.Kind
			if m.Name != "" {
				what += " " + m.Name
			} else if m.UUID != "" {
				what += " " + m.UUID
			}
			fmt.Fprintf(e.Stdout, "%-7s %s: %s\n", m.Level, what, m.Message)
		}
	}
	if run.Status == store.SodarRunFailed {
		return fmt.Errorf("%w: %s", errSyncFailed, run.Error)
	}
	return nil
}
