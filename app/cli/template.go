package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

// templateItem is a template as the tables show it: its settings, scope and link.
type templateItem struct {
	UUID         string  `json:"uuid"`
	Project      *string `json:"project"`
	SiteTemplate *string `json:"site_template"`
	settings.Container
	CreatedBy string `json:"created_by"`
}

type templateDiff struct {
	Upstream *struct {
		UUID    string  `json:"uuid"`
		Title   string  `json:"title"`
		Project *string `json:"project"`
	} `json:"upstream"`
	Fields []struct {
		Field    string          `json:"field"`
		Current  json.RawMessage `json:"current"`
		Upstream json.RawMessage `json:"upstream"`
	} `json:"fields"`
}

func orDash(p *string) string {
	if p == nil || *p == "" {
		return "-"
	}
	return *p
}

func templateCommands() []Command {
	return []Command{
		{Name: "list", Args: "[--project UUID]", Summary: "site templates, or the templates of a project", Run: templateList},
		{Name: "show", Args: "UUID", Summary: "one template's fields", Run: templateShow},
		{Name: "create", Args: "--title T --image I [--project UUID] [flags]", Summary: "create a site (superuser) or project template", Run: templateCreate},
		{Name: "copy", Args: "UUID --project UUID|--site", Summary: "copy a template into a project or the site templates", Run: templateCopy},
		{Name: "diff", Args: "UUID [--container]", Summary: "fields that differ from the upstream template", Run: templateDiffCmd},
		{Name: "apply", Args: "UUID --fields F,G|--all [flags]", Summary: "copy fields from the upstream template", Run: templateApply},
	}
}

func templateList(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("template list", e)
	project := fs.String("project", "", "project UUID (default: the site templates)")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	path := "/api/v1/templates?limit=500"
	if *project != "" {
		path = "/api/v1/projects/" + url.PathEscape(*project) + "/templates?limit=500"
	}
	return printList(ctx, e, path, *asJSON, []string{"UUID", "TITLE", "IMAGE", "PORT", "SITE TEMPLATE"}, func(t templateItem) []string {
		return []string{t.UUID, t.Title, t.Image, strconv.Itoa(t.ContainerPort), orDash(t.SiteTemplate)}
	})
}

// oneUUID parses flags (bool flags may follow the argument) and returns the single positional argument.
func oneUUID(fs interface {
	Parse([]string) error
	NArg() int
	Arg(int) string
}, args []string, usage string, boolFlags ...string) (string, error) {
	if err := fs.Parse(reorder(args, boolFlags...)); err != nil {
		return "", err
	}
	if fs.NArg() != 1 {
		return "", usageError{"usage: " + usage}
	}
	return fs.Arg(0), nil
}

func templateShow(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("template show", e)
	asJSON := fs.Bool("json", false, "print the API's JSON")
	id, err := oneUUID(fs, args, "kiosc template show UUID [--json]", "json")
	if err != nil {
		return err
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := c.Do(ctx, "GET", "/api/v1/templates/"+url.PathEscape(id), nil, &raw); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Stdout, raw)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return fmt.Errorf("unexpected answer: %w", err)
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	rows := [][]string{{"FIELD", "VALUE"}}
	for _, k := range keys {
		rows = append(rows, []string{k, showValue(fields[k])})
	}
	table(e.Stdout, rows)
	return nil
}

// showValue renders a JSON value on one line: strings without quotes, null as "-".
func showValue(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return strings.ReplaceAll(s, "\n", `\n`)
	}
	if string(v) == "null" {
		return "-"
	}
	return string(v)
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func templateCreate(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("template create", e)
	project := fs.String("project", "", "project UUID (default: a site template; superusers only)")
	file := fs.String("file", "", "JSON file with template fields (flags given win)")
	title := fs.String("title", "", "title")
	image := fs.String("image", "", "Docker image reference")
	description := fs.String("description", "", "description")
	command := fs.String("command", "", "command (shell-quoted words, or a script starting with #!)")
	port := fs.Int("port", 0, "container port (default 80)")
	path := fs.String("path", "", "path the app is opened at")
	var env multiFlag
	fs.Var(&env, "env", "environment variable NAME=VALUE (repeatable)")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"usage: kiosc template create --title T --image I [--project UUID] [--file FIELDS.json] [--command C] [--port N] [--path P] [--env NAME=VALUE]... [--json]"}
	}
	body := map[string]any{}
	if *file != "" {
		b, err := os.ReadFile(*file)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &body); err != nil {
			return usageError{fmt.Sprintf("--file: %s is not a JSON object: %v", *file, err)}
		}
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "title":
			body["title"] = *title
		case "image":
			body["image"] = *image
		case "description":
			body["description"] = *description
		case "command":
			body["command"] = *command
		case "port":
			body["container_port"] = *port
		case "path":
			body["container_path"] = *path
		}
	})
	if len(env) > 0 {
		vars := map[string]any{}
		if m, ok := body["environment"].(map[string]any); ok {
			vars = m
		}
		for _, kv := range env {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return usageError{fmt.Sprintf("--env: %q is not NAME=VALUE", kv)}
			}
			vars[k] = v
		}
		body["environment"] = vars
	}
	target := "/api/v1/templates"
	if *project != "" {
		target = "/api/v1/projects/" + url.PathEscape(*project) + "/templates"
	}
	return templateWrite(ctx, e, "POST", target, body, *asJSON, "Created")
}

// templateWrite sends a request answered with a template and prints it.
func templateWrite(ctx context.Context, e *Env, method, path string, body any, asJSON bool, verb string) error {
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := c.Do(ctx, method, path, body, &raw); err != nil {
		return err
	}
	if asJSON {
		return printJSON(e.Stdout, raw)
	}
	var t templateItem
	if err := json.Unmarshal(raw, &t); err != nil {
		return fmt.Errorf("unexpected answer: %w", err)
	}
	scope := "site template"
	if t.Project != nil {
		scope = "template of project " + *t.Project
	}
	fmt.Fprintf(e.Stdout, "%s %s %q (%s)\n", verb, t.UUID, t.Title, scope)
	if t.SiteTemplate != nil {
		fmt.Fprintf(e.Stdout, "linked to site template %s\n", *t.SiteTemplate)
	}
	return nil
}

func templateCopy(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("template copy", e)
	project := fs.String("project", "", "target project UUID")
	site := fs.Bool("site", false, "copy into the site templates (superusers)")
	title := fs.String("title", "", "title of the copy (default: the source's)")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	usage := "kiosc template copy UUID --project UUID|--site [--title T] [--json]"
	id, err := oneUUID(fs, args, usage, "json", "site")
	if err != nil {
		return err
	}
	if (*project == "") == !*site {
		return usageError{"usage: " + usage + " (exactly one of --project and --site)"}
	}
	body := map[string]any{"project": nil}
	if *project != "" {
		body["project"] = *project
	}
	if *title != "" {
		body["title"] = *title
	}
	return templateWrite(ctx, e, "POST", "/api/v1/templates/"+url.PathEscape(id)+"/copy", body, *asJSON, "Copied to")
}

// diffPath is the diff endpoint of a template, or of a container with --container.
func diffPath(id string, container bool) string {
	if container {
		return "/api/v1/containers/" + url.PathEscape(id)
	}
	return "/api/v1/templates/" + url.PathEscape(id)
}

func templateDiffCmd(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("template diff", e)
	container := fs.Bool("container", false, "UUID is a container: compare it with the template it came from")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	id, err := oneUUID(fs, args, "kiosc template diff UUID [--container] [--json]", "json", "container")
	if err != nil {
		return err
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := c.Do(ctx, "GET", diffPath(id, *container)+"/diff", nil, &raw); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Stdout, raw)
	}
	var d templateDiff
	if err := json.Unmarshal(raw, &d); err != nil {
		return fmt.Errorf("unexpected answer: %w", err)
	}
	if d.Upstream == nil {
		fmt.Fprintln(e.Stdout, "No upstream template: nothing to compare with")
		return nil
	}
	fmt.Fprintf(e.Stdout, "Upstream: %s %q\n", d.Upstream.UUID, d.Upstream.Title)
	if len(d.Fields) == 0 {
		fmt.Fprintln(e.Stdout, "No differences")
		return nil
	}
	rows := [][]string{{"FIELD", "CURRENT", "UPSTREAM"}}
	for _, f := range d.Fields {
		rows = append(rows, []string{f.Field, showValue(f.Current), showValue(f.Upstream)})
	}
	table(e.Stdout, rows)
	return nil
}

func templateApply(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("template apply", e)
	fields := fs.String("fields", "", "comma-separated field names (see kiosc template diff)")
	all := fs.Bool("all", false, "apply every field that differs")
	container := fs.Bool("container", false, "UUID is a container: apply from the template it came from")
	restart := fs.Bool("restart", false, "with --container: restart the container if it runs and changed")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	usage := "kiosc template apply UUID --fields F,G|--all [--container [--restart]] [--json]"
	id, err := oneUUID(fs, args, usage, "json", "all", "container", "restart")
	if err != nil {
		return err
	}
	if (*fields == "") == !*all {
		return usageError{"usage: " + usage + " (exactly one of --fields and --all)"}
	}
	if *restart && !*container {
		return usageError{"--restart applies to containers only (add --container)"}
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	base := diffPath(id, *container)
	names := []string{}
	for _, f := range strings.Split(*fields, ",") {
		if f = strings.TrimSpace(f); f != "" {
			names = append(names, f)
		}
	}
	// The comparison before the apply tells which of the chosen fields really change.
	var d templateDiff
	if err := c.Do(ctx, "GET", base+"/diff", nil, &d); err != nil {
		return err
	}
	differs := map[string]bool{}
	for _, f := range d.Fields {
		differs[f.Field] = true
		if *all {
			names = append(names, f.Field)
		}
	}
	if *all && len(names) == 0 {
		fmt.Fprintln(e.Stdout, "No differences: nothing to apply")
		return nil
	}
	changed := []string{}
	for _, f := range names {
		if differs[f] {
			changed = append(changed, f)
		}
	}
	body := map[string]any{"fields": names}
	if *container {
		body["restart"] = *restart
	}
	var raw json.RawMessage
	if err := c.Do(ctx, "POST", base+"/apply", body, &raw); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Stdout, raw)
	}
	var out struct {
		Title          string      `json:"title"`
		State          store.State `json:"state"`
		RestartPending bool        `json:"restart_pending"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("unexpected answer: %w", err)
	}
	if len(changed) == 0 {
		fmt.Fprintf(e.Stdout, "Nothing changed in %q: %s already match the template\n", out.Title, strings.Join(names, ", "))
		return nil
	}
	fmt.Fprintf(e.Stdout, "Applied %s to %q\n", strings.Join(changed, ", "), out.Title)
	switch {
	case !out.RestartPending:
	case *restart:
		// The server restarts a container that runs with a pending change when asked to; the restart is queued,
		// so restart_pending is still set in its answer.
		fmt.Fprintln(e.Stdout, "Restart requested: the container restarts with the new configuration")
	default:
		fmt.Fprintln(e.Stdout, "The container runs with the old configuration until it is restarted (restart pending)")
	}
	return nil
}
