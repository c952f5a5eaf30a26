package docker

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Stat is one sample of a container's resource usage, in the units `docker stats` shows.
type Stat struct {
	Time time.Time
	// CPUPercent is the share of one CPU used since the previous sample (200 = two CPUs busy); 0 on a first sample.
	CPUPercent float64
	// CPUSeconds is the CPU time used since the container started.
	CPUSeconds float64
	// MemoryBytes is the memory in use without the page cache that can be reclaimed; MemoryLimit the cgroup's limit
	// (the host's memory when the container has none).
	MemoryBytes uint64
	MemoryLimit uint64
	// NetRxBytes and NetTxBytes are the bytes received and sent over every interface since the container started.
	NetRxBytes uint64
	NetTxBytes uint64
	PIDs       uint64
}

// Stats streams samples of a running container's usage (about one a second) to fn until ctx ends or the container
// stops. It is one Docker stats stream: callers share it among everyone watching.
func (c *Client) Stats(ctx context.Context, id string, fn func(Stat)) error {
	c.count()
	res, err := c.cli.ContainerStats(ctx, id, client.ContainerStatsOptions{Stream: true})
	if err != nil {
		return wrap(err)
	}
	defer res.Body.Close()
	dec := json.NewDecoder(res.Body)
	for {
		var s container.StatsResponse
		if err := dec.Decode(&s); err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if s.Read.IsZero() {
			// A stopped container's stream ends with an empty sample.
			return nil
		}
		fn(statOf(&s))
	}
}

// StatOnce reads one sample. Without withCPU it answers at once (CPUPercent is 0; CPUSeconds is exact); with it the
// engine takes a second sample a second later, so that CPUPercent is the share used in that second.
func (c *Client) StatOnce(ctx context.Context, id string, withCPU bool) (Stat, error) {
	c.count()
	res, err := c.cli.ContainerStats(ctx, id, client.ContainerStatsOptions{IncludePreviousSample: withCPU})
	if err != nil {
		return Stat{}, wrap(err)
	}
	defer res.Body.Close()
	var s container.StatsResponse
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
		return Stat{}, err
	}
	return statOf(&s), nil
}

// statOf converts a Docker sample the way the docker CLI computes its columns.
func statOf(s *container.StatsResponse) Stat {
	out := Stat{Time: s.Read, CPUSeconds: float64(s.CPUStats.CPUUsage.TotalUsage) / 1e9,
		MemoryLimit: s.MemoryStats.Limit, PIDs: s.PidsStats.Current}
	cpuDelta := float64(s.CPUStats.CPUUsage.TotalUsage) - float64(s.PreCPUStats.CPUUsage.TotalUsage)
	sysDelta := float64(s.CPUStats.SystemUsage) - float64(s.PreCPUStats.SystemUsage)
	cpus := float64(s.CPUStats.OnlineCPUs)
	if cpus == 0 {
		cpus = float64(len(s.CPUStats.CPUUsage.PercpuUsage))
	}
	if s.PreCPUStats.SystemUsage > 0 && sysDelta > 0 && cpuDelta > 0 {
		out.CPUPercent = cpuDelta / sysDelta * cpus * 100
	}
	out.MemoryBytes = s.MemoryStats.Usage
	// Page cache the kernel may reclaim is not the app's memory (cgroup v1: total_inactive_file, v2: inactive_file).
	for _, k := range []string{"total_inactive_file", "inactive_file"} {
		if v, ok := s.MemoryStats.Stats[k]; ok && v < out.MemoryBytes {
			out.MemoryBytes -= v
			break
		}
	}
	for _, n := range s.Networks {
		out.NetRxBytes += n.RxBytes
		out.NetTxBytes += n.TxBytes
	}
	return out
}

// HostInfo is what the engine's host offers.
type HostInfo struct {
	Name   string
	CPUs   int
	Memory int64 // bytes
	// Version is the engine's version.
	Version string
}

// Info returns the engine host's CPUs and memory.
func (c *Client) Info(ctx context.Context) (HostInfo, error) {
	c.count()
	res, err := c.cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		return HostInfo{}, err
	}
	return HostInfo{Name: res.Info.Name, CPUs: res.Info.NCPU, Memory: res.Info.MemTotal, Version: res.Info.ServerVersion}, nil
}
