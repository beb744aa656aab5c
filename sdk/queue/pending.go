package queue

import "context"

// SendResult is what SQS returned for one stored message.
type SendResult struct {
	MessageID string
	// SequenceNumber is set on FIFO queues.
	SequenceNumber string
}

// Pending is a message accepted by SendAsync, not yet known to be stored.
type Pending struct {
	done   chan struct{}
	result SendResult
	err    error
}

func newPending() *Pending { return &Pending{done: make(chan struct{})} }

func (p *Pending) finish(r SendResult, err error) {
	p.result, p.err = r, err
	close(p.done)
}

// Done is closed when the outcome is known.
func (p *Pending) Done() <-chan struct{} { return p.done }

// Wait returns the outcome once known, or ctx's error if ctx ends first
// (the message may still be stored afterwards).
func (p *Pending) Wait(ctx context.Context) (SendResult, error) {
	select {
	case <-p.done:
		return p.result, p.err
	case <-ctx.Done():
		return SendResult{}, ctx.Err()
	}
}
