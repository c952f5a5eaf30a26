package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/units"
)

// adminTasks are the tasks of `kiosc admin maintenance TASK` (the server checks them too).
var adminTasks = []string{"cleanup-unused", "remove-stopped", "remove-volumes", "stop-all", "stop-idle"}

type adminRef struct {
	UUID         string `json:"uuid"`
	Title        string `json:"title"`
	Project      string `json:"project"`
	ProjectTitle string `json:"project_title"`
}

type adminOverview struct {
	Instance string `json:"instance"`
	Runtime  string `json:"runtime"`
	Nodes    []struct {
		ID           string     `json:"id"`
		Hostname     string     `json:"hostname"`
		Addr         string     `json:"addr"`
		Role         string     `json:"role"`
		State        string     `json:"state"`
		Availability string     `json:"availability"`
		CPUs         float64    `json:"cpus"`
		Memory       int64      `json:"memory"`
		Self         bool       `json:"self"`
		Containers   []adminRef `json:"containers"`
	} `json:"nodes"`
	Containers []struct {
		adminRef
		State        store.State `json:"state"`
		StateReason  string      `json:"state_reason"`
		DockerID     *string     `json:"docker_id"`
		DockerState  string      `json:"docker_state"`
		DockerStatus string      `json:"docker_status"`
		Node         string      `json:"node"`
	} `json:"containers"`
	Orphaned  []adminDockerContainer `json:"orphaned"`
	Unmanaged []adminDockerContainer `json:"unmanaged"`
	Networks  []struct {
		ID               string     `json:"id"`
		Name             string     `json:"name"`
		Driver           string     `json:"driver"`
		Kiosc            bool       `json:"kiosc"`
		DockerContainers int        `json:"docker_containers"`
		Containers       []adminRef `json:"containers"`
	} `json:"networks"`
	Volumes []struct {
		Name             string     `json:"name"`
		Driver           string     `json:"driver"`
		Created          *time.Time `json:"created"`
		Size             *int64     `json:"size"`
		DockerContainers int        `json:"docker_containers"`
		Containers       []adminRef `json:"containers"`
		Kiosc            bool       `json:"kiosc"`
		Scope            string     `json:"scope"`
		ContainerTitle   string     `json:"container_title"`
		RemoveAfter      *time.Time `json:"remove_after"`
		ContainerDeleted *time.Time `json:"container_deleted_at"`
	} `json:"volumes"`
	Images []struct {
		ID               string     `json:"id"`
		Tags             []string   `json:"tags"`
		Size             int64      `json:"size"`
		Dangling         bool       `json:"dangling"`
		DockerContainers int        `json:"docker_containers"`
		Containers       []adminRef `json:"containers"`
	} `json:"images"`
}

type adminDockerContainer struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Image         string    `json:"image"`
	State         string    `json:"state"`
	Status        string    `json:"status"`
	Created       time.Time `json:"created"`
	KioscInstance string    `json:"kiosc_instance"`
}

// adminDocker prints the Docker host as kiosc sees it, one table per section.
func adminDocker(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("admin docker", e)
	asJSON := fs.Bool("json", false, "print the API's JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"usage: kiosc admin docker [--json]"}
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := c.Do(ctx, "GET", "/api/v1/admin/docker", nil, &raw); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Stdout, raw)
	}
	var o adminOverview
	if err := json.Unmarshal(raw, &o); err != nil {
		return fmt.Errorf("unexpected answer: %w", err)
	}
	w := e.Stdout
	swarm := o.Runtime == "swarm"
	if swarm {
		adminSection(w, fmt.Sprintf("Swarm nodes (%d)", len(o.Nodes)), true)
		rows := [][]string{{"ID", "HOSTNAME", "ADDRESS", "ROLE", "STATE", "AVAILABILITY", "CPUS", "MEMORY", "APPS"}}
		for _, n := range o.Nodes {
			name := n.Hostname
			if n.Self {
				name += " (kiosc)"
			}
			rows = append(rows, []string{adminShortID(n.ID), name, n.Addr, n.Role, n.State, n.Availability,
				strconv.FormatFloat(n.CPUs, 'f', -1, 64), units.Bytes(n.Memory).String(), adminUsedBy(n.Containers)})
		}
		table(w, rows)
	}
	adminSection(w, fmt.Sprintf("kiosc containers (%d)", len(o.Containers)), !swarm)
	rows := [][]string{{"UUID", "TITLE", "PROJECT", "STATE", "DOCKER", "DOCKER ID", "STATUS"}}
	if swarm {
		rows[0] = append(rows[0], "NODE")
	}
	for _, k := range o.Containers {
		state := string(k.State)
		if k.StateReason != "" {
			state += " (" + k.StateReason + ")"
		}
		docker := k.DockerState
		if docker == "missing" {
			docker = "MISSING"
		}
		row := []string{k.UUID, k.Title, adminDash(k.ProjectTitle), state, docker, adminShortID(adminDeref(k.DockerID)), adminDash(k.DockerStatus)}
		if swarm {
			row = append(row, adminDash(k.Node))
		}
		rows = append(rows, row)
	}
	table(w, rows)
	if len(o.Orphaned) > 0 {
		adminSection(w, fmt.Sprintf("Orphaned Docker containers of this instance (%d; the next resync removes them)", len(o.Orphaned)), false)
		adminDockerTable(w, o.Orphaned)
	}
	adminSection(w, fmt.Sprintf("Docker containers kiosc does not manage (%d)", len(o.Unmanaged)), false)
	adminDockerTable(w, o.Unmanaged)
	adminSection(w, fmt.Sprintf("Networks (%d)", len(o.Networks)), false)
	rows = [][]string{{"ID", "NAME", "DRIVER", "KIOSC", "CONTAINERS", "USED BY"}}
	for _, n := range o.Networks {
		rows = append(rows, []string{adminShortID(n.ID), n.Name, n.Driver, adminYesNo(n.Kiosc), strconv.Itoa(n.DockerContainers), adminUsedBy(n.Containers)})
	}
	table(w, rows)
	adminSection(w, fmt.Sprintf("Volumes (%d)", len(o.Volumes)), false)
	rows = [][]string{{"NAME", "KIOSC", "SIZE", "AGE", "CONTAINERS", "USED BY"}}
	for _, v := range o.Volumes {
		kiosc, size, age := "-", "-", "-"
		if v.Kiosc {
			kiosc = v.Scope
			if v.ContainerDeleted != nil {
				kiosc += fmt.Sprintf(" (of deleted %q", v.ContainerTitle)
				if v.RemoveAfter != nil {
					kiosc += ", removed after " + v.RemoveAfter.Local().Format("2006-01-02")
				}
				kiosc += ")"
			}
		}
		if v.Size != nil {
			size = units.Bytes(*v.Size).String()
		}
		if v.Created != nil {
			age = adminAge(time.Since(*v.Created))
		}
		rows = append(rows, []string{v.Name, kiosc, size, age, strconv.Itoa(v.DockerContainers), adminUsedBy(v.Containers)})
	}
	table(w, rows)
	adminSection(w, fmt.Sprintf("Images (%d)", len(o.Images)), false)
	rows = [][]string{{"ID", "TAGS", "SIZE", "CONTAINERS", "USED BY"}}
	for _, im := range o.Images {
		tags := strings.Join(im.Tags, ", ")
		if im.Dangling {
			tags = "<none> (dangling)"
		}
		rows = append(rows, []string{adminShortID(im.ID), tags, units.Bytes(im.Size).String(), strconv.Itoa(im.DockerContainers), adminUsedBy(im.Containers)})
	}
	table(w, rows)
	return nil
}

// adminAge writes how old something is in its largest unit: 3d, 5h, 12m.
func adminAge(d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	case d >= time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return strconv.Itoa(int(d/time.Minute)) + "m"
}

func adminDockerTable(w io.Writer, list []adminDockerContainer) {
	rows := [][]string{{"ID", "NAME", "IMAGE", "STATE", "STATUS", "KIOSC INSTANCE"}}
	for _, d := range list {
		rows = append(rows, []string{adminShortID(d.ID), d.Name, d.Image, d.State, d.Status, adminDash(d.KioscInstance)})
	}
	table(w, rows)
}

// adminSection prints a heading, with an empty line before every heading but the first.
func adminSection(w io.Writer, title string, first bool) {
	if !first {
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, title)
}

// adminUsedBy lists kiosc containers as "title (project)".
func adminUsedBy(refs []adminRef) string {
	if len(refs) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(refs))
	for _, r := range refs {
		s := r.Title
		if r.ProjectTitle != "" {
			s += " (" + r.ProjectTitle + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

type adminMaintenanceResult struct {
	Task    string `json:"task"`
	Count   int    `json:"count"`
	Failed  int    `json:"failed"`
	Summary string `json:"summary"`
	Items   []struct {
		Kind   string      `json:"kind"`
		ID     string      `json:"id"`
		Name   string      `json:"name"`
		State  store.State `json:"state"`
		Reason string      `json:"reason"`
		Size   int64       `json:"size"`
		Error  string      `json:"error"`
	} `json:"items"`
}

// adminMaintenance runs one maintenance task and prints what it did; the exit code is non-zero when some object
// could not be handled.
func adminMaintenance(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("admin maintenance", e)
	asJSON := fs.Bool("json", false, "print the API's JSON")
	if err := fs.Parse(reorder(args, "json")); err != nil {
		return err
	}
	usage := "usage: kiosc admin maintenance TASK [--json], TASK one of " + strings.Join(adminTasks, ", ")
	if fs.NArg() != 1 {
		return usageError{usage}
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := c.Do(ctx, "POST", "/api/v1/admin/maintenance/"+fs.Arg(0), nil, &raw); err != nil {
		return err
	}
	var r adminMaintenanceResult
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("unexpected answer: %w", err)
	}
	if *asJSON {
		if err := printJSON(e.Stdout, raw); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.Stdout, "%s: %s\n", r.Task, r.Summary)
		if len(r.Items) > 0 {
			rows := [][]string{{"KIND", "ID", "NAME", "RESULT"}}
			for _, it := range r.Items {
				var result string
				switch {
				case it.Error != "":
					result = "failed: " + it.Error
				case it.State != "":
					result = string(it.State)
					if it.Reason != "" {
						result += " (" + it.Reason + ")"
					}
				case it.Size > 0:
					result = "removed, " + units.Bytes(it.Size).String()
				default:
					result = "removed"
				}
				id := it.ID
				if it.Kind != "container" {
					id = adminShortID(id)
				}
				rows = append(rows, []string{it.Kind, id, it.Name, result})
			}
			table(e.Stdout, rows)
		}
	}
	if r.Failed > 0 {
		return fmt.Errorf("%s: %d of %d objects could not be handled", r.Task, r.Failed, r.Failed+r.Count)
	}
	return nil
}

// adminShortID is the first 12 hex digits of a Docker ID, like docker ps shows it.
func adminShortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return adminDash(id)
}

func adminDeref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func adminDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func adminYesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
