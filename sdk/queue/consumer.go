package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// ShortPoll as ConsumerOptions.WaitTime makes every receive a short poll
// (WaitTimeSeconds 0): zero there means the 20 s default.
const ShortPoll time.Duration = -1

// Handler handles one message: nil acknowledges it (it is deleted), an
// error or a panic returns it to the queue after the Backoff delay.
type Handler func(ctx context.Context, m *Received) error

// ConsumerOptions tune a Consumer; zero values take the defaults.
type ConsumerOptions struct {
	// Pollers is the number of concurrent ReceiveMessage loops (1).
	Pollers int
	// Concurrency is the number of handlers running at once (10).
	Concurrency int
	// Prefetch is how many received messages may wait for a free handler
	// (MaxMessages × Pollers). The heartbeat covers them too.
	Prefetch int
	// MaxMessages is asked of each ReceiveMessage, 1–10 (10).
	MaxMessages int
	// WaitTime is the long poll, up to 20 s (20 s). Zero takes the
	// default; ShortPoll (any negative value) sends WaitTimeSeconds 0, so
	// each receive answers at once, empty or not (a queue's own
	// ReceiveMessageWaitTimeSeconds is then overridden too).
	WaitTime time.Duration
	// VisibilityTimeout is asked on receive and set again by each
	// heartbeat extension, whole seconds (30 s).
	VisibilityTimeout time.Duration
	// HeartbeatInterval is how often in-flight messages are checked
	// (VisibilityTimeout/6, at most 1 s); HeartbeatThreshold is how close
	// to expiring a message must be to be extended (VisibilityTimeout/2,
	// at most 5 s). Each tick extends all due messages in batches of 10.
	HeartbeatInterval  time.Duration
	HeartbeatThreshold time.Duration
	// Backoff gives a failed message's visibility timeout from its
	// receive count (ExponentialBackoff(time.Second, 5*time.Minute)).
	Backoff func(receiveCount int) time.Duration
	// DrainTimeout is how long running handlers may finish after Run's
	// context ends (30 s); then their contexts are cancelled and their
	// messages returned to the queue.
	DrainTimeout time.Duration
	// ShutdownPollGrace is how long a receive already sent may still
	// answer once Run's context ends, before it is cancelled (250 ms;
	// negative: cancel at once). A reply cancelled on the wire would hide
	// its messages for the visibility timeout; the grace lets a busy
	// queue's replies land (their messages are then given back), while an
	// idle long poll is still cut short.
	ShutdownPollGrace time.Duration
	// AckLinger is how long a delete or visibility change waits for nine
	// more to share its request (10 ms).
	AckLinger time.Duration
	// MaxSettleRequests is the most DeleteMessageBatch requests at once,
	// and separately the most ChangeMessageVisibilityBatch requests
	// (Pollers, at least 4). Each full receive needs one delete of 10 and
	// a delete costs the server about what a receive does (a durable
	// commit), so fewer deletes in flight than pollers caps the consumer
	// at the delete rate; a handler's ack waits while all are busy.
	MaxSettleRequests int
	// CallTimeout bounds each delete and visibility call (30 s).
	CallTimeout time.Duration
	// OnError receives errors no handler sees: failed receives, deletes
	// and extensions (logged with slog.Default at warning level).
	OnError func(error)
}

func (o ConsumerOptions) withDefaults() (ConsumerOptions, error) {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.Pollers, 1)
	def(&o.Concurrency, 10)
	def(&o.MaxMessages, maxBatchEntries)
	def(&o.Prefetch, o.MaxMessages*o.Pollers)
	defDur(&o.WaitTime, 20*time.Second)
	if o.WaitTime < 0 {
		o.WaitTime = ShortPoll
	}
	defDur(&o.VisibilityTimeout, 30*time.Second)
	defDur(&o.HeartbeatInterval, min(time.Second, o.VisibilityTimeout/6))
	defDur(&o.HeartbeatThreshold, min(5*time.Second, o.VisibilityTimeout/2))
	defDur(&o.DrainTimeout, 30*time.Second)
	defDur(&o.AckLinger, 10*time.Millisecond)
	def(&o.MaxSettleRequests, max(4, o.Pollers))
	defDur(&o.ShutdownPollGrace, 250*time.Millisecond)
	o.ShutdownPollGrace = max(o.ShutdownPollGrace, 0)
	defDur(&o.CallTimeout, 30*time.Second)
	if o.Backoff == nil {
		o.Backoff = ExponentialBackoff(time.Second, 5*time.Minute)
	}
	if o.OnError == nil {
		o.OnError = func(err error) { slog.Warn("queue consumer", "err", err) }
	}
	switch {
	case o.Pollers < 1 || o.Concurrency < 1 || o.MaxSettleRequests < 1 || o.Prefetch < 0:
		return o, errors.New("queue: Pollers, Concurrency and MaxSettleRequests must be at least 1, Prefetch not negative")
	case o.MaxMessages < 1 || o.MaxMessages > maxBatchEntries:
		return o, fmt.Errorf("queue: MaxMessages %d is not 1 to %d", o.MaxMessages, maxBatchEntries)
	case o.WaitTime > 20*time.Second:
		return o, fmt.Errorf("queue: WaitTime %v is over 20s", o.WaitTime)
	case o.VisibilityTimeout < time.Second || o.VisibilityTimeout%time.Second != 0:
		return o, fmt.Errorf("queue: VisibilityTimeout %v is not a whole number of seconds", o.VisibilityTimeout)
	case o.HeartbeatInterval <= 0 || o.HeartbeatThreshold <= o.HeartbeatInterval:
		return o, fmt.Errorf("queue: HeartbeatThreshold %v must exceed HeartbeatInterval %v", o.HeartbeatThreshold, o.HeartbeatInterval)
	case o.HeartbeatThreshold >= o.VisibilityTimeout:
		return o, fmt.Errorf("queue: HeartbeatThreshold %v must be below VisibilityTimeout %v", o.HeartbeatThreshold, o.VisibilityTimeout)
	case o.DrainTimeout < 0 || o.AckLinger < 0 || o.CallTimeout < 0:
		return o, errors.New("queue: DrainTimeout, AckLinger and CallTimeout must not be negative")
	}
	return o, nil
}

// Consumer receives from one queue and runs a Handler per message.
type Consumer struct {
	client   API
	queueURL string
	fifo     bool
	opts     ConsumerOptions
}

// NewConsumer checks opts and returns a consumer of queueURL. A URL ending
// in .fifo is a FIFO queue: its groups are handled one message at a time.
func NewConsumer(client API, queueURL string, opts ConsumerOptions) (*Consumer, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Consumer{client: client, queueURL: queueURL, fifo: isFIFO(queueURL), opts: opts}, nil
}

// Run consumes until ctx ends, then shuts down gracefully: polling stops
// at once (an open long poll is cancelled after ShutdownPollGrace), received messages not yet started
// go back to the queue (visibility 0), running handlers have DrainTimeout
// to finish, and Run returns after the last delete and visibility change.
// It returns nil after such a shutdown.
func (c *Consumer) Run(ctx context.Context, h Handler) error {
	if h == nil {
		return errors.New("queue: Run needs a handler")
	}
	r := newConsumerRun(c, h)
	r.start(ctx)
	<-ctx.Done()
	r.shutdown()
	return nil
}
