package settings

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ReserveCap is the site's cap on what running apps may reserve together by their limits (KIOSC_MAX_RESERVED,
// e.g. "cpu=150%,memory=90%"): each part is absolute (CPUs, bytes) or a percentage of the Docker host's; zero parts
// are not capped.
type ReserveCap struct {
	CPUs          float64
	CPUPercent    float64
	Memory        int64
	MemoryPercent float64
}

// IsZero reports that nothing is capped.
func (r ReserveCap) IsZero() bool { return r == ReserveCap{} }

// Resolve returns the cap in CPUs and bytes for a host with hostCPUs and hostMemory (0: not capped).
func (r ReserveCap) Resolve(hostCPUs int, hostMemory int64) (cpus float64, memory int64) {
	cpus, memory = r.CPUs, r.Memory
	if r.CPUPercent > 0 {
		cpus = float64(hostCPUs) * r.CPUPercent / 100
	}
	if r.MemoryPercent > 0 {
		memory = int64(float64(hostMemory) * r.MemoryPercent / 100)
	}
	return cpus, memory
}

// String renders the cap as it is configured.
func (r ReserveCap) String() string {
	var parts []string
	switch {
	case r.CPUPercent > 0:
		parts = append(parts, "cpu="+strconv.FormatFloat(r.CPUPercent, 'f', -1, 64)+"%")
	case r.CPUs > 0:
		parts = append(parts, "cpu="+strconv.FormatFloat(r.CPUs, 'f', -1, 64))
	}
	switch {
	case r.MemoryPercent > 0:
		parts = append(parts, "memory="+strconv.FormatFloat(r.MemoryPercent, 'f', -1, 64)+"%")
	case r.Memory > 0:
		parts = append(parts, "memory="+strconv.FormatInt(r.Memory, 10))
	}
	return strings.Join(parts, ",")
}

// ParseReserveCap reads "cpu=150%,memory=90%" (also "cpu=6", "memory=48g"); parseBytes reads sizes.
func ParseReserveCap(v string, parseBytes func(string) (int64, error)) (ReserveCap, error) {
	var r ReserveCap
	for _, part := range strings.FieldsFunc(v, func(c rune) bool { return c == ',' || c == ' ' }) {
		key, val, ok := strings.Cut(part, "=")
		if !ok || val == "" {
			return r, fmt.Errorf("%q: write cpu=<CPUs or percent> or memory=<size or percent>", part)
		}
		pct, isPct := strings.CutSuffix(val, "%")
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "cpu", "cpus":
			f, err := strconv.ParseFloat(pct, 64)
			if err != nil || f <= 0 || f > 100000 {
				return r, fmt.Errorf("cpu=%s: must be a positive number of CPUs or a percentage of the host's", val)
			}
			if isPct {
				r.CPUPercent = f
			} else {
				r.CPUs = f
			}
		case "memory", "mem":
			if isPct {
				f, err := strconv.ParseFloat(pct, 64)
				if err != nil || f <= 0 || f > 100000 {
					return r, fmt.Errorf("memory=%s: must be a positive percentage of the host's memory", val)
				}
				r.MemoryPercent = f
				continue
			}
			n, err := parseBytes(val)
			if err != nil || n <= 0 {
				return r, fmt.Errorf("memory=%s: must be a size such as 48g or a percentage such as 90%%", val)
			}
			r.Memory = n
		default:
			return r, fmt.Errorf("%q: only cpu and memory can be capped", key)
		}
	}
	if r.IsZero() && strings.TrimSpace(v) != "" {
		return r, errors.New("nothing to cap: write e.g. cpu=150%,memory=90%")
	}
	return r, nil
}
