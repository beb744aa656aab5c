package queue

import "time"

// settleOp is one receipt handle to delete, or to give a new visibility
// timeout.
type settleOp struct {
	m          *inflight
	visibility int32
}

// settler gathers settle operations into batch requests of up to 10, each
// leaving at most linger after its first operation, with at most
// maxRequests requests at once.
type settler struct {
	in          chan settleOp
	linger      time.Duration
	maxRequests int
	send        func([]settleOp)
	done        chan struct{}
}

func newSettler(linger time.Duration, maxRequests int, send func([]settleOp)) *settler {
	s := &settler{in: make(chan settleOp, maxBatchEntries), linger: linger, maxRequests: maxRequests, send: send, done: make(chan struct{})}
	go s.loop()
	return s
}

func (s *settler) add(op settleOp) { s.in <- op }

// close sends what is gathered and waits for every request to return.
func (s *settler) close() {
	close(s.in)
	<-s.done
}

func (s *settler) loop() {
	var (
		requests = newRequestPool(s.maxRequests)
		cur      []settleOp
	)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	flush := func() {
		linger.Stop()
		if len(cur) == 0 {
			return
		}
		batch := cur
		cur = nil
		requests.run(func() { s.send(batch) }) // waits while maxRequests run
	}
	defer func() {
		flush()
		requests.close()
		close(s.done)
	}()
	for {
		select {
		case op, ok := <-s.in:
			if !ok {
				return
			}
			cur = append(cur, op)
			if len(cur) >= maxBatchEntries {
				flush()
			} else if len(cur) == 1 {
				linger.Reset(s.linger)
			}
		case <-linger.C:
			flush()
		}
	}
}
