package lifecycle

import (
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/docker"
)

// An exit counts as Docker's SIGTERM when the kill event came before it, or is stamped just after it (Docker logs
// the event after sending the signal); other signals and old kills do not count.
func TestSigtermBefore(t *testing.T) {
	m := &Manager{}
	kill := time.Now().UTC()
	m.noteSigterm(docker.Event{ContainerID: "term", Action: "kill", Labels: map[string]string{"signal": "15"}, Time: kill})
	m.noteSigterm(docker.Event{ContainerID: "killed", Action: "kill", Labels: map[string]string{"signal": "9"}, Time: kill})
	for _, tc := range []struct {
		name string
		id   string
		exit time.Time
		want bool
	}{
		{"exit after the kill", "term", kill.Add(300 * time.Millisecond), true},
		{"exit at the kill", "term", kill, true},
		{"kill stamped just after the exit", "term", kill.Add(-400 * time.Millisecond), true},
		{"exit well before the kill", "term", kill.Add(-2 * time.Second), false},
		{"exit long after the kill", "term", kill.Add(sigtermKeep + time.Second), false},
		{"SIGKILL", "killed", kill.Add(time.Millisecond), false},
		{"no kill at all", "other", kill, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := m.sigtermBefore(tc.id, tc.exit); got != tc.want {
				t.Errorf("sigtermBefore = %v, want %v", got, tc.want)
			}
		})
	}
}
