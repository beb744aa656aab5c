package queue

import (
	"context"
	"sync"
	"testing"
	"time"
)

// A poller on a busy consumer waits for a whole batch of free slots rather
// than asking for the few that are free (small receives cost the server a
// call each).
func TestSlotsTakeWaitsForWholeBatch(t *testing.T) {
	s := newSlots(12)
	if n := s.take(context.Background(), 10); n != 10 {
		t.Fatalf("first take = %d, want 10", n)
	}
	got := make(chan int, 1)
	go func() { got <- s.take(context.Background(), 10) }()
	select {
	case n := <-got:
		t.Fatalf("take returned %d with only 2 slots free", n)
	case <-time.After(50 * time.Millisecond):
	}
	s.put(8)
	if n := <-got; n != 10 {
		t.Fatalf("take = %d once 10 were free, want 10", n)
	}
	// Capacity below the batch: take what capacity allows.
	if n := newSlots(3).take(context.Background(), 10); n != 3 {
		t.Fatalf("take on capacity 3 = %d, want 3", n)
	}
}

// Two pollers gathering at once never split the slots between them and
// wait forever: one gathers at a time, and a cancelled take gives back
// what it gathered.
func TestSlotsTwoPollersDoNotDeadlock(t *testing.T) {
	s := newSlots(10)
	held := s.take(context.Background(), 10)
	var wg sync.WaitGroup
	results := make(chan int, 2)
	for range 2 {
		wg.Go(func() { results <- s.take(context.Background(), 10) })
	}
	time.Sleep(20 * time.Millisecond)
	s.put(held)
	first := <-results
	s.put(first)
	wg.Wait()
	if second := <-results; first != 10 || second != 10 {
		t.Fatalf("takes = %d, %d; want 10, 10", first, second)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.put(5) // 5 of the second take's slots free again
	done := make(chan int)
	go func() { done <- s.take(ctx, 10) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if n := <-done; n != 0 {
		t.Fatalf("cancelled take = %d", n)
	}
	if n := s.take(context.Background(), 5); n != 5 {
		t.Fatalf("a cancelled take kept slots: take(5) = %d", n)
	}
}

// The settler runs up to maxRequests requests at once.
func TestSettlerConcurrency(t *testing.T) {
	for _, limit := range []int{1, 4, 8} {
		var (
			mu        sync.Mutex
			running   int
			peak      int
			release   = make(chan struct{})
			saturated = make(chan struct{}, 100)
		)
		s := newSettler(time.Millisecond, limit, func([]settleOp) {
			mu.Lock()
			running++
			peak = max(peak, running)
			mu.Unlock()
			saturated <- struct{}{}
			<-release
			mu.Lock()
			running--
			mu.Unlock()
		})
		added := make(chan struct{})
		go func() {
			defer close(added)
			for range 12 * maxBatchEntries {
				s.add(settleOp{})
			}
		}()
		for i := range limit {
			select {
			case <-saturated:
			case <-time.After(5 * time.Second):
				t.Fatalf("limit %d: only %d requests started", limit, i)
			}
		}
		time.Sleep(30 * time.Millisecond) // a request beyond the limit would start now
		close(release)
		<-added
		s.close()
		if peak != limit {
			t.Errorf("limit %d: %d requests ran at once", limit, peak)
		}
	}
}
