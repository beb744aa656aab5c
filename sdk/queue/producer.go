package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ProducerOptions tune a Producer; zero values take the defaults.
type ProducerOptions struct {
	// MaxEntries is the most entries in one SendMessageBatch, 1–10 (10).
	MaxEntries int
	// MaxBytes is the most payload in one request, as SQS counts it
	// (MaxPayload, 1 MiB).
	MaxBytes int
	// Linger is how long a partial batch waits for more messages (10 ms).
	Linger time.Duration
	// MaxInFlight is the most requests at once (4). A FIFO queue always
	// gets 1, so each group's messages are stored in the order sent.
	MaxInFlight int
	// MaxPendingBytes bounds the payload accepted and not yet stored
	// (8 MiB); SendAsync waits for room beyond it.
	MaxPendingBytes int64
	// CallTimeout bounds one SendMessageBatch call, retries included (30 s).
	CallTimeout time.Duration
	// NoTracePropagation stops Send from filling Message.TraceHeader from
	// the context's span.
	NoTracePropagation bool
}

// entryOverhead is what a pending message costs beyond its payload in the
// byte budget, so many tiny messages are bounded too.
const entryOverhead = 512

func (o ProducerOptions) withDefaults(fifo bool) (ProducerOptions, error) {
	if o.MaxEntries == 0 {
		o.MaxEntries = maxBatchEntries
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = MaxPayload
	}
	if o.Linger == 0 {
		o.Linger = 10 * time.Millisecond
	}
	if o.MaxInFlight == 0 {
		o.MaxInFlight = 4
	}
	if fifo {
		o.MaxInFlight = 1
	}
	if o.MaxPendingBytes == 0 {
		o.MaxPendingBytes = 8 << 20
	}
	if o.CallTimeout == 0 {
		o.CallTimeout = 30 * time.Second
	}
	switch {
	case o.MaxEntries < 1 || o.MaxEntries > maxBatchEntries:
		return o, fmt.Errorf("queue: MaxEntries %d is not 1 to %d", o.MaxEntries, maxBatchEntries)
	case o.MaxBytes < 1 || o.MaxBytes > MaxPayload:
		return o, fmt.Errorf("queue: MaxBytes %d is not 1 to %d", o.MaxBytes, MaxPayload)
	case o.Linger < 0 || o.MaxInFlight < 0 || o.CallTimeout < 0:
		return o, errors.New("queue: Linger, MaxInFlight and CallTimeout must not be negative")
	case o.MaxPendingBytes < int64(o.MaxBytes)+entryOverhead:
		return o, fmt.Errorf("queue: MaxPendingBytes %d is below one full message (%d)", o.MaxPendingBytes, o.MaxBytes+entryOverhead)
	}
	return o, nil
}

// Producer sends messages to one queue in batches. It is safe for
// concurrent use; Close it to flush what is pending.
type Producer struct {
	client   API
	queueURL string
	opts     ProducerOptions

	budget *budget
	in     chan *entry
	done   chan struct{} // closed when the batcher and its requests end

	mu     sync.RWMutex // guards closed against sends into in
	closed bool
}

// entry is one accepted message on its way into a batch.
type entry struct {
	ctx     context.Context
	msg     Message
	size    int
	pending *Pending
}

func (e *entry) cost() int64 { return int64(e.size) + entryOverhead }

// NewProducer starts a producer for queueURL. A URL ending in .fifo is a
// FIFO queue.
func NewProducer(client API, queueURL string, opts ProducerOptions) (*Producer, error) {
	opts, err := opts.withDefaults(isFIFO(queueURL))
	if err != nil {
		return nil, err
	}
	p := &Producer{
		client:   client,
		queueURL: queueURL,
		opts:     opts,
		budget:   newBudget(opts.MaxPendingBytes),
		in:       make(chan *entry, opts.MaxEntries),
		done:     make(chan struct{}),
	}
	go p.batch()
	return p, nil
}

// Send stores m and returns once SQS has acknowledged it, with its own
// entry's result or error.
func (p *Producer) Send(ctx context.Context, m Message) (SendResult, error) {
	pending, err := p.SendAsync(ctx, m)
	if err != nil {
		return SendResult{}, err
	}
	return pending.Wait(ctx)
}

// SendAsync accepts m into the next batch and returns without waiting
// for the request. It waits only while MaxPendingBytes are taken
// (back-pressure). A message whose ctx has ended before its batch leaves
// is not sent.
func (p *Producer) SendAsync(ctx context.Context, m Message) (*Pending, error) {
	if m.Body == "" {
		return nil, errors.New("queue: message body is empty")
	}
	size := m.size()
	if size > p.opts.MaxBytes {
		return nil, fmt.Errorf("queue: message of %d bytes is over the %d-byte limit", size, p.opts.MaxBytes)
	}
	if m.TraceHeader == "" && !p.opts.NoTracePropagation {
		m.TraceHeader = traceHeaderFrom(ctx)
	}
	e := &entry{ctx: ctx, msg: m, size: size, pending: newPending()}
	if err := p.budget.acquire(ctx, e.cost()); err != nil {
		return nil, fmt.Errorf("queue: waiting for room to send: %w", err)
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		p.budget.release(e.cost())
		return nil, ErrClosed
	}
	select {
	case p.in <- e:
		return e.pending, nil
	case <-ctx.Done():
		p.budget.release(e.cost())
		return nil, ctx.Err()
	}
}

// Close sends what is pending and waits for every request to end, or for
// ctx. Sends after Close fail with ErrClosed.
func (p *Producer) Close(ctx context.Context) error {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.in)
	}
	p.mu.Unlock()
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
