package units

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]int64{"512m": 512 << 20, "4g": 4 << 30, "1GiB": 1 << 30, "1000": 1000, "1.5k": 1536} {
		got, err := ParseBytes(in)
		if err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, want := range map[string]time.Duration{"7d": 7 * 24 * time.Hour, "90s": 90 * time.Second, "0": 0} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

func TestBytes(t *testing.T) {
	for _, tc := range []struct {
		n           int64
		text, exact string
	}{
		{0, "0 B", "0B"},
		{1000, "1000 B", "1000B"},
		{1536, "1.5 KiB", "1.5KiB"},
		{3 << 20, "3.0 MiB", "3MiB"},
		{512 << 20, "512.0 MiB", "512MiB"},
		{1<<20 - 1, "1024.0 KiB", "1023.9990234375KiB"},
		{3 << 29, "1.5 GiB", "1.5GiB"},
		{5 << 40, "5.0 TiB", "5TiB"},
	} {
		if got := Bytes(tc.n).String(); got != tc.text {
			t.Errorf("Bytes(%d).String() = %q, want %q", tc.n, got, tc.text)
		}
		if got := Bytes(tc.n).Exact(); got != tc.exact {
			t.Errorf("Bytes(%d).Exact() = %q, want %q", tc.n, got, tc.exact)
		}
		if n, err := ParseBytes(Bytes(tc.n).Exact()); err != nil || n != tc.n {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", Bytes(tc.n).Exact(), n, err, tc.n)
		}
	}
}
