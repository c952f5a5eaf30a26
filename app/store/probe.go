package store

import "time"

// ProbeStatus is what the readiness probe of a starting app tries, and what kiosc found out while the app does not
// answer (the progress of a job's probe step). Ports the engine or the host cannot tell are null.
type ProbeStatus struct {
	// Port and Path are where the probe asks: the container port and the probe path.
	Port int    `json:"port"`
	Path string `json:"path"`
	// StartedAt is when the Docker container started, Deadline when the startup timeout ends the wait.
	StartedAt      time.Time `json:"started_at"`
	Deadline       time.Time `json:"deadline"`
	TimeoutSeconds int       `json:"timeout_seconds"`
	// ExposedPorts are the TCP ports the image declares with EXPOSE.
	ExposedPorts []int `json:"exposed_ports"`
	// ListeningKnown says whether kiosc could read the ports the container's processes listen on (it cannot when it
	// does not run on the Docker host); ListeningPorts are those ports, LoopbackPorts those of them reachable only
	// from inside the container.
	ListeningKnown bool  `json:"listening_known"`
	ListeningPorts []int `json:"listening_ports"`
	LoopbackPorts  []int `json:"loopback_ports"`
	// LastResult is what the last probe got ("connection refused", "HTTP 404", ...; "" before the first check).
	LastResult string `json:"last_result"`
	// Hint says in words why the app does not answer yet and what to change ("" while nothing is known).
	Hint string `json:"hint"`
	// CheckedAt is when these findings were made (null before the first check).
	CheckedAt *time.Time `json:"checked_at"`
}
