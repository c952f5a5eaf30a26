// Package units reads and writes the durations and byte sizes of configuration, flags and messages: Go durations
// with days, and sizes in binary units as Docker reads them.
package units

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDuration accepts Go durations (90s, 1h30m) plus a day suffix (7d), and a bare 0.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.ParseFloat(n, 64)
		if err != nil || days < 0 {
			return 0, errors.New("invalid duration")
		}
		return time.Duration(days * float64(24*time.Hour)), nil
	}
	return time.ParseDuration(s)
}

var byteUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kb": 1 << 10, "ki": 1 << 10, "kib": 1 << 10,
	"m": 1 << 20, "mb": 1 << 20, "mi": 1 << 20, "mib": 1 << 20,
	"g": 1 << 30, "gb": 1 << 30, "gi": 1 << 30, "gib": 1 << 30,
	"t": 1 << 40, "tb": 1 << 40, "ti": 1 << 40, "tib": 1 << 40,
}

// ParseBytes parses a size such as 536870912, 512m, 512MiB or 4g (binary units, as Docker uses them).
func ParseBytes(s string) (int64, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.TrimSpace(s[i:])
	}
	mult, ok := byteUnits[unit]
	if !ok || num == "" {
		return 0, errors.New("invalid size")
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || f*float64(mult) > 1<<62 {
		return 0, errors.New("invalid size")
	}
	return int64(f * float64(mult)), nil
}

// Bytes is a size in bytes, written with binary units (KiB, MiB, ...) as Docker reads them.
type Bytes int64

// String is the size for reading, with one decimal: "512 B", "3.0 MiB".
func (b Bytes) String() string {
	v, unit := b.scale()
	if unit == "B" {
		return fmt.Sprintf("%d B", int64(b))
	}
	return fmt.Sprintf("%.1f %s", v, unit)
}

// Exact is the size without rounding and without a space, as ParseBytes and the command-line flags read it back:
// "512MiB", "1.5GiB", "1000B".
func (b Bytes) Exact() string {
	v, unit := b.scale()
	return strconv.FormatFloat(v, 'f', -1, 64) + unit
}

var binaryUnits = []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}

// scale returns the size in the largest unit it reaches.
func (b Bytes) scale() (float64, string) {
	f, i := float64(b), 0
	for f >= 1024 && i < len(binaryUnits)-1 {
		f /= 1024
		i++
	}
	return f, binaryUnits[i]
}
