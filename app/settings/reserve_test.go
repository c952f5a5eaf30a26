package settings

import (
	"strconv"
	"strings"
	"testing"
)

func TestParseReserveCap(t *testing.T) {
	bytes := func(s string) (int64, error) {
		n, err := strconv.ParseInt(strings.TrimSuffix(s, "g"), 10, 64)
		if strings.HasSuffix(s, "g") {
			n <<= 30
		}
		return n, err
	}
	for _, tc := range []struct {
		in       string
		want     ReserveCap
		cpus     float64
		memory   int64
		wantText string
	}{
		{"", ReserveCap{}, 0, 0, ""},
		{"cpu=150%,memory=90%", ReserveCap{CPUPercent: 150, MemoryPercent: 90}, 6, (10 << 30) * 9 / 10, "cpu=150%,memory=90%"},
		{"cpu=3 memory=4g", ReserveCap{CPUs: 3, Memory: 4 << 30}, 3, 4 << 30, "cpu=3,memory=4294967296"},
		{"memory=50%", ReserveCap{MemoryPercent: 50}, 0, 5 << 30, "memory=50%"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseReserveCap(tc.in, bytes)
			if err != nil || got != tc.want {
				t.Fatalf("got %+v %v, want %+v", got, err, tc.want)
			}
			cpus, memory := got.Resolve(4, 10<<30)
			if cpus != tc.cpus || memory != tc.memory {
				t.Errorf("resolved %g CPUs, %d bytes; want %g, %d", cpus, memory, tc.cpus, tc.memory)
			}
			if got.String() != tc.wantText {
				t.Errorf("String %q, want %q", got.String(), tc.wantText)
			}
		})
	}
	for _, bad := range []string{"cpu", "cpu=", "cpu=-1", "cpu=x%", "disk=5g", "memory=lots", "memory=0%", ","} {
		if _, err := ParseReserveCap(bad, bytes); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
