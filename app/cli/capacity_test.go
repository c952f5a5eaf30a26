package cli_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAdminCapacity(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/admin/capacity" || r.Header.Get("Authorization") != "Token kiosc_t" {
			http.Error(w, `{"error":{"code":"not_found","message":"no"}}`, 404)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"host":{"name":"h","cpus":8,"memory":34359738368},
			"reserved":{"cpus":2.5,"memory":6442450944,"apps":2,"unlimited":1},
			"cap":{"cpus":12,"memory":0,"setting":"cpu=150%"},"used":{"cpu_percent":130,"memory":3221225472},
			"apps":[{"uuid":"u1","title":"Jupyter","project":"p","state":"running","cpus":2,"memory":4294967296,"cpu_percent":120,"memory_used":2147483648}],
			"partial":[]}`))
	}))
	defer srv.Close()
	r := runCLI(t.TempDir(), map[string]string{"KIOSC_URL": srv.URL, "KIOSC_TOKEN": "kiosc_t"}, "", "admin", "capacity")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"CPU     8", "2.50", "12.00", "1.30", "memory  32.0 GiB  6.0 GiB", "-", "3.0 GiB",
		"2 active apps (1 without a CPU or memory limit); KIOSC_MAX_RESERVED=cpu=150%", "Jupyter", "120%", "2.0 GiB"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("%q missing from\n%s", want, r.stdout)
		}
	}
}
