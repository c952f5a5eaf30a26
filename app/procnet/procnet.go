// Package procnet reads which TCP ports the processes of a container listen on, from the Docker host's /proc: the
// sockets of the network namespace of the container's init process (/proc/<pid>/net/tcp and tcp6). It works only
// where kiosc runs on the Docker host itself and may read that process's /proc entry; elsewhere it says it cannot
// tell, and callers show nothing rather than a guess.
package procnet

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ErrUnknown means the listening ports cannot be read here: kiosc does not share the Docker host's process view, the
// process is gone, or it is not the container's.
var ErrUnknown = errors.New("the listening ports cannot be read on this host")

// Socket is one listening TCP socket.
type Socket struct {
	Port int
	// Loopback: it accepts connections only from inside the container (127.0.0.1 or ::1), so a probe from outside
	// cannot reach it.
	Loopback bool
}

// Listening returns the TCP ports on which the container whose init process is pid listens, sorted by port, with one
// entry per port (a port bound to a loopback and to another address counts as reachable). root is the /proc to read
// ("" for /proc); dockerID, when set, must appear in the process's cgroup, so that a PID of another PID namespace
// (kiosc in a container of its own, a remote engine) is never read as the container's.
func Listening(root string, pid int, dockerID string) ([]Socket, error) {
	if pid <= 0 {
		return nil, ErrUnknown
	}
	if root == "" {
		root = "/proc"
	}
	dir := filepath.Join(root, strconv.Itoa(pid))
	if dockerID != "" {
		cg, err := os.ReadFile(filepath.Join(dir, "cgroup"))
		if err != nil || !strings.Contains(string(cg), dockerID) {
			return nil, ErrUnknown
		}
	}
	byPort := map[int]bool{} // port → loopback only
	read := 0
	for _, name := range []string{"tcp", "tcp6"} {
		f, err := os.Open(filepath.Join(dir, "net", name))
		if err != nil {
			continue
		}
		socks, err := Parse(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrUnknown, name, err)
		}
		read++
		for _, s := range socks {
			if lo, seen := byPort[s.Port]; !seen || (lo && !s.Loopback) {
				byPort[s.Port] = s.Loopback
			}
		}
	}
	if read == 0 {
		return nil, ErrUnknown
	}
	out := make([]Socket, 0, len(byPort))
	for p, lo := range byPort {
		out = append(out, Socket{Port: p, Loopback: lo})
	}
	slices.SortFunc(out, func(a, b Socket) int { return a.Port - b.Port })
	return out, nil
}

// stateListen is the kernel's TCP_LISTEN in the st column.
const stateListen = "0A"

// dockerDNS is 127.0.0.11, where Docker's embedded DNS resolver listens (on a random TCP port) in containers on
// user-defined networks.
const dockerDNS = "0B00007F"

// Parse reads the listening sockets of a /proc/net/tcp or tcp6 table.
func Parse(r io.Reader) ([]Socket, error) {
	var out []Socket
	sc := bufio.NewScanner(r)
	first := true
	for sc.Scan() {
		if first {
			first = false // the header line
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) < 4 || f[3] != stateListen {
			continue
		}
		addr, portHex, ok := strings.Cut(f[1], ":")
		if !ok {
			return nil, fmt.Errorf("bad local address %q", f[1])
		}
		port, err := strconv.ParseUint(portHex, 16, 16)
		if err != nil {
			return nil, fmt.Errorf("bad port %q", portHex)
		}
		if strings.EqualFold(addr, dockerDNS) {
			continue // the engine's resolver in the container's namespace, not the app
		}
		out = append(out, Socket{Port: int(port), Loopback: loopback(addr)})
	}
	return out, sc.Err()
}

// loopback reports whether a /proc/net address in hex (IPv4: one 32-bit word, IPv6: four, each in host byte order,
// little-endian here) is 127.0.0.0/8, ::1 or ::ffff:127.x.x.x.
func loopback(hex string) bool {
	switch len(hex) {
	case 8:
		return strings.HasSuffix(strings.ToUpper(hex), "7F")
	case 32:
		h := strings.ToUpper(hex)
		if h == "00000000000000000000000001000000" {
			return true
		}
		return h[:16] == "0000000000000000" && h[16:24] == "FFFF0000" && strings.HasSuffix(h, "7F")
	}
	return false
}
