package local_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

// A writer that took the database and waits for the writer lock must not
// hold Close up: Close once held the writer lock while it waited for the
// database's users, and that writer waited for the lock.
func TestCloseWithAWriterWaitingForTheLock(t *testing.T) {
	s, err := local.Open(filepath.Join(t.TempDir(), "kv"), local.Options{ReserveBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	inside, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- s.Update(ctx, func(tx kv.Txn) error {
			close(inside)
			<-release
			return tx.Set([]byte("a"), []byte("1"))
		})
	}()
	<-inside
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	time.Sleep(100 * time.Millisecond) // Close queues on the writer lock first
	second := make(chan error, 1)
	go func() {
		second <- s.Update(ctx, func(tx kv.Txn) error { return tx.Set([]byte("b"), []byte("2")) })
	}()
	time.Sleep(100 * time.Millisecond) // the second writer holds the database, queued behind Close
	close(release)
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return within 5s: it waits for a writer that waits for it")
	}
	if err := <-first; err != nil {
		t.Fatalf("first write: %v", err)
	}
	if err := <-second; err != nil && !errors.Is(err, local.ErrClosed) {
		t.Fatalf("second write: %v, want nil or ErrClosed", err)
	}
}
