package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/bihealth/kiosc/app/units"
)

// capacityOut is the answer of GET /api/v1/admin/capacity.
type capacityOut struct {
	Host struct {
		Name   string `json:"name"`
		CPUs   int    `json:"cpus"`
		Memory int64  `json:"memory"`
	} `json:"host"`
	Reserved struct {
		CPUs      float64 `json:"cpus"`
		Memory    int64   `json:"memory"`
		Apps      int     `json:"apps"`
		Unlimited int     `json:"unlimited"`
	} `json:"reserved"`
	Cap struct {
		CPUs    float64 `json:"cpus"`
		Memory  int64   `json:"memory"`
		Setting string  `json:"setting"`
	} `json:"cap"`
	Used struct {
		CPUPercent float64 `json:"cpu_percent"`
		Memory     int64   `json:"memory"`
	} `json:"used"`
	Apps []struct {
		UUID       string  `json:"uuid"`
		Title      string  `json:"title"`
		State      string  `json:"state"`
		CPUs       float64 `json:"cpus"`
		Memory     int64   `json:"memory"`
		CPUPercent float64 `json:"cpu_percent"`
		MemoryUsed int64   `json:"memory_used"`
	} `json:"apps"`
	Partial []string `json:"partial"`
}

func adminCapacity(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("admin capacity", e)
	asJSON := fs.Bool("json", false, "print the API's JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"usage: kiosc admin capacity [--json]"}
	}
	c, err := clientFor(e)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := c.Do(ctx, "GET", "/api/v1/admin/capacity", nil, &raw); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Stdout, raw)
	}
	var o capacityOut
	if err := json.Unmarshal(raw, &o); err != nil {
		return fmt.Errorf("unexpected answer: %w", err)
	}
	w := e.Stdout
	cpus := func(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }
	size := func(n int64) string { return units.Bytes(n).String() }
	capOr := func(v string, set bool) string {
		if !set {
			return "-"
		}
		return v
	}
	table(w, [][]string{
		{"", "HOST", "RESERVED", "CAP", "USED"},
		{"CPU", strconv.Itoa(o.Host.CPUs), cpus(o.Reserved.CPUs), capOr(cpus(o.Cap.CPUs), o.Cap.CPUs > 0), cpus(o.Used.CPUPercent / 100)},
		{"memory", size(o.Host.Memory), size(o.Reserved.Memory), capOr(size(o.Cap.Memory), o.Cap.Memory > 0), size(o.Used.Memory)},
	})
	fmt.Fprintf(w, "\n%d active apps", o.Reserved.Apps)
	if o.Reserved.Unlimited > 0 {
		fmt.Fprintf(w, " (%d without a CPU or memory limit)", o.Reserved.Unlimited)
	}
	if o.Cap.Setting != "" {
		fmt.Fprintf(w, "; KIOSC_MAX_RESERVED=%s", o.Cap.Setting)
	}
	fmt.Fprintln(w)
	if len(o.Apps) > 0 {
		fmt.Fprintln(w)
		rows := [][]string{{"UUID", "TITLE", "STATE", "CPUS", "CPU USED", "MEMORY", "MEMORY USED"}}
		for _, a := range o.Apps {
			rows = append(rows, []string{a.UUID, a.Title, a.State, capOr(cpus(a.CPUs), a.CPUs > 0),
				strconv.FormatFloat(a.CPUPercent, 'f', 0, 64) + "%", capOr(size(a.Memory), a.Memory > 0), size(a.MemoryUsed)})
		}
		table(w, rows)
	}
	if len(o.Partial) > 0 {
		fmt.Fprintf(w, "\nusage could not be read for: %v\n", o.Partial)
	}
	return nil
}
