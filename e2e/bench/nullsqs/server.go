// Package nullsqs is an SQS endpoint that stores nothing and checks no
// signatures. It speaks the AWS JSON 1.0 protocol well enough for the real
// aws-sdk-go-v2 client to accept its replies, so a load run against it
// measures the cost floor of the HTTP + SDK path: what any server, however
// fast, would still cost the client on this machine.
package nullsqs

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// AccountID is the account every queue URL names.
const AccountID = "000000000000"

// BodySource builds the body of the n-th message handed out by
// ReceiveMessage (n counts from 0). A load generator supplies one so the
// bodies it receives carry ids and timestamps it can check.
type BodySource func(n int64) string

// Options configures a Server.
type Options struct {
	// MessageSize is the size of the canned bodies handed out when Bodies
	// is nil. Zero means 256.
	MessageSize int
	// Bodies, if set, replaces the canned bodies.
	Bodies BodySource
}

// Server is a running null SQS endpoint.
type Server struct {
	// Endpoint is the base URL, e.g. http://127.0.0.1:41234.
	Endpoint string

	opts   Options
	canned []cannedMessage
	http   *http.Server
	served chan struct{}
	// stop releases parked long polls, which Shutdown would wait for.
	stop     chan struct{}
	stopOnce sync.Once

	// Receive hands out messages only while sent > taken, so consumers
	// drain as on a real queue; taken also counts purged messages,
	// delivered does not.
	sent      atomic.Int64
	taken     atomic.Int64
	delivered atomic.Int64
	calls     atomic.Int64

	// waiters counts long polls parked in ReceiveMessage; senders only take
	// the lock to wake them when there are any.
	waiters atomic.Int64
	wakeMu  sync.Mutex
	wake    chan struct{}
}

// Start listens on 127.0.0.1:0 and serves until Close.
func Start(opts Options) (*Server, error) {
	if opts.MessageSize <= 0 {
		opts.MessageSize = 256
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("nullsqs: listen: %w", err)
	}
	s := &Server{
		Endpoint: "http://" + l.Addr().String(),
		opts:     opts,
		canned:   buildCanned(opts.MessageSize),
		served:   make(chan struct{}),
		stop:     make(chan struct{}),
		wake:     make(chan struct{}),
	}
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	go func() {
		defer close(s.served)
		// Serve only fails once closed; clients see any other trouble as
		// connection errors.
		_ = s.http.Serve(l)
	}()
	return s, nil
}

// Close stops the server, cutting parked long polls.
func (s *Server) Close() error {
	s.stopOnce.Do(func() { close(s.stop) })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.http.Shutdown(ctx)
	if err != nil {
		err = s.http.Close()
	}
	<-s.served
	if err != nil {
		return fmt.Errorf("nullsqs: close: %w", err)
	}
	return nil
}

// Stats are the server's counters.
type Stats struct {
	Calls    int64 // requests answered
	Sent     int64 // messages accepted by SendMessage(Batch)
	Received int64 // messages handed out by ReceiveMessage
}

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	return Stats{Calls: s.calls.Load(), Sent: s.sent.Load(), Received: s.delivered.Load()}
}

// addSent records n accepted messages, wakes parked receivers and returns
// the ordinal of the first one.
func (s *Server) addSent(n int) int64 {
	first := s.sent.Add(int64(n)) - int64(n)
	if s.waiters.Load() > 0 {
		s.wakeMu.Lock()
		close(s.wake)
		s.wake = make(chan struct{})
		s.wakeMu.Unlock()
	}
	return first
}

// claim takes up to max messages from the sent-but-not-taken count and
// returns the ordinal of the first one and how many it took.
func (s *Server) claim(max int) (first int64, n int) {
	for {
		r := s.taken.Load()
		avail := s.sent.Load() - r
		if avail <= 0 {
			return 0, 0
		}
		take := min(int64(max), avail)
		if s.taken.CompareAndSwap(r, r+take) {
			return r, int(take)
		}
	}
}

// claimWaiting is claim with a long poll: it waits up to wait for messages
// to be sent, as SQS does with WaitTimeSeconds.
func (s *Server) claimWaiting(ctx context.Context, max int, wait time.Duration) (int64, int) {
	if first, n := s.claim(max); n > 0 || wait <= 0 {
		return first, n
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	s.waiters.Add(1)
	defer s.waiters.Add(-1)
	for {
		s.wakeMu.Lock()
		wake := s.wake
		s.wakeMu.Unlock()
		// Check again after registering, so a send between the first claim
		// and taking the channel is not missed.
		if first, n := s.claim(max); n > 0 {
			return first, n
		}
		select {
		case <-wake:
		case <-timer.C:
			return 0, 0
		case <-ctx.Done():
			return 0, 0
		case <-s.stop:
			return 0, 0
		}
	}
}
