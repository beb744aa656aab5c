package main

import (
	"time"

	"github.com/sluice-mq/sluice/e2e/bench/load"
)

// serverCPU measures a server process's CPU time over a run; a zero pid
// measures nothing.
type serverCPU struct {
	pid   int
	begin time.Duration
}

func (c *serverCPU) start() error {
	if c.pid == 0 {
		return nil
	}
	var err error
	c.begin, err = load.ProcessCPU(c.pid)
	return err
}

// stop returns the CPU time used since start, nil when not measured.
func (c *serverCPU) stop() (*time.Duration, error) {
	if c.pid == 0 {
		return nil, nil
	}
	end, err := load.ProcessCPU(c.pid)
	if err != nil {
		return nil, err
	}
	used := end - c.begin
	return &used, nil
}
