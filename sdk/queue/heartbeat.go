package queue

import "time"

// heartbeat keeps in-flight messages invisible: every HeartbeatInterval it
// extends, VisibilityTimeout from now, each tracked message that would
// expire within HeartbeatThreshold — queued ones too, so prefetched
// messages do not reappear while they wait for a handler. It returns when
// stop is closed, after its last call.
func (r *consumerRun) heartbeat(stop <-chan struct{}) {
	o := r.c.opts
	tick := time.NewTicker(o.HeartbeatInterval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		due := r.tracker.due(time.Now(), o.HeartbeatThreshold)
		for len(due) > 0 {
			n := min(len(due), maxBatchEntries)
			chunk := due[:n]
			due = due[n:]
			ops := make([]settleOp, n)
			for i, m := range chunk {
				ops[i] = settleOp{m: m, visibility: visibilitySeconds(o.VisibilityTimeout)}
			}
			// The new timeout runs from when SQS applies it, after now.
			sent := time.Now()
			r.tracker.extended(chunk, r.changeVisibility(ops), sent.Add(o.VisibilityTimeout))
		}
	}
}
