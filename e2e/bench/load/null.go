package load

import (
	"fmt"
	"time"

	"github.com/sluice-mq/sluice/e2e/bench/nullsqs"
)

// StartNullServer starts a null SQS server shaped for cfg and returns cfg
// pointed at it. The server hands out bodies in this package's format,
// numbered in the order it hands them out and stamped when it does, so
// Verify counts every id and end-to-end latency is the receive path alone:
// the floor of what a real queue adds. Close the server when done.
func StartNullServer(cfg Config) (Config, *nullsqs.Server, error) {
	if cfg.RunID == 0 {
		cfg.RunID = NewRunID()
	}
	if cfg.MessageSize < MinMessageSize {
		return cfg, nil, fmt.Errorf("null server: MessageSize %d is below %d", cfg.MessageSize, MinMessageSize)
	}
	bodies := newBodyWriter(cfg.RunID, cfg.MessageSize)
	srv, err := nullsqs.Start(nullsqs.Options{
		MessageSize: cfg.MessageSize,
		Bodies:      func(n int64) string { return bodies.body(uint64(n), time.Now()) },
	})
	if err != nil {
		return cfg, nil, fmt.Errorf("start null server: %w", err)
	}
	cfg.Endpoint = srv.Endpoint
	return cfg, srv, nil
}
