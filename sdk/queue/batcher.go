package queue

import "time"

// batch gathers entries from p.in into requests: a batch leaves when it
// holds MaxEntries, when the next entry would take it past MaxBytes, or
// Linger after its first entry arrived. It ends when p.in is closed and
// every request has returned.
func (p *Producer) batch() {
	var (
		requests = newRequestPool(p.opts.MaxInFlight)
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
		batch := cur
		cur, bytes = nil, 0
		requests.run(func() { p.sendBatch(batch) }) // waits while MaxInFlight requests run
	}
	defer func() {
		flush()
		requests.close()
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
