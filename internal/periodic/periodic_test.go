package periodic_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/internal/periodic"
)

func TestRunCallsAndLogsUntilCancelled(t *testing.T) {
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	done := make(chan struct{})
	go func() {
		periodic.Run(ctx, 5*time.Millisecond, log, "test work", func(context.Context) error {
			if calls.Add(1) == 3 {
				cancel()
			}
			return errors.New("boom")
		})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop when its context ended")
	}
	if calls.Load() != 3 {
		t.Fatalf("calls = %d, want 3", calls.Load())
	}
	// Two failures logged; the third came with the context ending.
	if n := strings.Count(logged.String(), "work=\"test work\""); n != 2 {
		t.Fatalf("logged %d failures, want 2:\n%s", n, logged.String())
	}
}
