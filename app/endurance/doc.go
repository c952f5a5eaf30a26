// Package endurance holds kiosc's soak and fault tests. They run the kiosc binary (built from this repository, or
// KIOSC_BIN) as a separate process against a real Docker engine, each instance with a data directory and instance
// labels of its own, and check what users rely on: that what kiosc shows matches Docker, that nothing is lost or
// duplicated, and that kiosc recovers by itself from what goes wrong around it (the soak under load with containers
// starting and stopping; a restart of the Docker daemon; kill -9 of kiosc at any moment; a full disk).
//
// The soak in `make test` is short; `make soak` runs the full one (KIOSC_SOAK=full).
package endurance
