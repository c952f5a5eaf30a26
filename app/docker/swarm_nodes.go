package docker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// The swarm's nodes: where apps run, and the capacity they add up to.

// Node is a node of the swarm.
type Node struct {
	ID       string
	Hostname string
	// Addr is the address the node is reached at (its advertised address).
	Addr         string
	Role         string // manager or worker
	State        string // ready, down, unknown, disconnected
	Availability string // active, pause, drain
	Labels       map[string]string
	NanoCPUs     int64
	MemoryBytes  int64
	// Self: the node of the engine kiosc talks to.
	Self bool
}

// Nodes lists the swarm's nodes.
func (s *Swarm) Nodes(ctx context.Context) ([]Node, error) {
	s.count()
	res, err := s.cli.NodeList(ctx, client.NodeListOptions{})
	if err != nil {
		return nil, err
	}
	self, _ := s.selfNode(ctx)
	out := make([]Node, 0, len(res.Items))
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range res.Items {
		node := Node{ID: n.ID, Hostname: n.Description.Hostname, Addr: n.Status.Addr, Role: string(n.Spec.Role),
			State: string(n.Status.State), Availability: string(n.Spec.Availability), Labels: n.Spec.Labels,
			NanoCPUs: n.Description.Resources.NanoCPUs, MemoryBytes: n.Description.Resources.MemoryBytes, Self: n.ID == self}
		s.nodes[n.ID] = node
		out = append(out, node)
	}
	slices.SortFunc(out, func(a, b Node) int { return strings.Compare(a.Hostname, b.Hostname) })
	return out, nil
}

// node returns a node by ID (from the cache, else a fresh list).
func (s *Swarm) node(ctx context.Context, id string) (Node, bool) {
	s.mu.Lock()
	n, ok := s.nodes[id]
	s.mu.Unlock()
	if ok || id == "" {
		return n, ok
	}
	if _, err := s.Nodes(ctx); err != nil {
		return Node{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok = s.nodes[id]
	return n, ok
}

// selfNode returns the ID of the engine's own node.
func (s *Swarm) selfNode(ctx context.Context) (string, error) {
	s.count()
	res, err := s.cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		return "", err
	}
	if res.Info.Swarm.NodeID == "" {
		return "", errors.New("the Docker engine is not part of a swarm")
	}
	return res.Info.Swarm.NodeID, nil
}

// Info returns the swarm's capacity: the CPUs and memory of its nodes that are ready and take tasks.
func (s *Swarm) Info(ctx context.Context) (HostInfo, error) {
	own, err := s.Client.Info(ctx)
	if err != nil {
		return own, err
	}
	nodes, err := s.Nodes(ctx)
	if err != nil {
		return own, err
	}
	h := HostInfo{Version: own.Version}
	n := 0
	for _, node := range nodes {
		if node.State != string(swarm.NodeStateReady) || node.Availability != string(swarm.NodeAvailabilityActive) {
			continue
		}
		n++
		h.CPUs += int(node.NanoCPUs / 1e9)
		h.Memory += node.MemoryBytes
	}
	h.Name = fmt.Sprintf("swarm of %d node(s) (manager %s)", n, own.Name)
	return h, nil
}
