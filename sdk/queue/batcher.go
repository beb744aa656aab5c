package queue

import (
	"sync"
	"time"
)

// batch gathers entries from p.in into requests: a batch leaves when it
// holds MaxEntries, when the next entry would take it past MaxBytes, or
// Linger after its first entry arrived. It ends when p.in is closed and
// every request has returned.
func (p *Producer) batch() {
	var (
		requests sync.WaitGroup
		cur      []*entry
		bytes    int
	)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	flush := func() {
		linger.Stop()
		if len(cur) == 0 {
			return
		}
		p.inFlight <- struct{}{} // waits while MaxInFlight requests run
		batch := cur
		cur, bytes = nil, 0
		requests.Go(func() {
			defer func() { <-p.inFlight }()
			p.sendBatch(batch)
		})
	}
	defer func() {
		flush()
		requests.Wait()
		close(p.done)
	}()
	for {
		select {
		case e, ok := <-p.in:
			if !ok {
				return
			}
			if bytes+e.size > p.opts.MaxBytes {
				flush()
			}
			cur = append(cur, e)
			bytes += e.size
			if len(cur) >= p.opts.MaxEntries {
				flush()
			} else if len(cur) == 1 {
				linger.Reset(p.opts.Linger)
			}
		case <-linger.C:
			flush()
		}
	}
}
