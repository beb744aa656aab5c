package load

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// produce sends until every sequence id is claimed or ctx ends, and
// returns its send-call latencies.
func (r *run) produce(ctx context.Context) []time.Duration {
	bodies := newBodyWriter(r.cfg.RunID, r.cfg.MessageSize)
	total := uint64(r.cfg.Messages)
	batch := uint64(r.cfg.Batch)
	var latencies []time.Duration
	for ctx.Err() == nil {
		// Producers share one counter, so ids are unique and the total is
		// exact however the work splits.
		first := r.nextSeq.Add(batch) - batch
		if first >= total {
			break
		}
		n := min(batch, total-first)
		if !r.waitForSchedule(ctx, first+n-1) {
			break
		}
		if took, ok := r.send(ctx, bodies, first, int(n)); ok {
			latencies = append(latencies, took)
		}
	}
	return latencies
}

// waitForSchedule holds message seq until its slot under Rate, an open-loop
// schedule from the start so a slow call does not lower the offered rate.
func (r *run) waitForSchedule(ctx context.Context, seq uint64) bool {
	if r.cfg.Rate <= 0 {
		return true
	}
	due := r.start.Add(time.Duration(float64(seq) / r.cfg.Rate * float64(time.Second)))
	wait := time.Until(due)
	if wait <= 0 {
		return true
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// send sends ids first..first+n-1 in one call and reports the call's
// latency if it succeeded.
func (r *run) send(ctx context.Context, bodies bodyWriter, first uint64, n int) (time.Duration, bool) {
	began := time.Now()
	if n == 1 && r.cfg.Batch == 1 {
		group, dedup := r.fifoIDs(first)
		_, err := r.client.SendMessage(ctx, &sqs.SendMessageInput{
			QueueUrl:               aws.String(r.queueURL),
			MessageBody:            aws.String(bodies.body(first, began)),
			MessageGroupId:         group,
			MessageDeduplicationId: dedup,
		})
		if err != nil {
			r.sendError(ctx, n, fmt.Errorf("SendMessage: %w", err))
			return 0, false
		}
		done := time.Now()
		r.tracker.markAcked(first, done)
		return done.Sub(began), true
	}
	entries := make([]types.SendMessageBatchRequestEntry, n)
	for i := range entries {
		group, dedup := r.fifoIDs(first + uint64(i))
		entries[i] = types.SendMessageBatchRequestEntry{
			Id:                     aws.String(strconv.Itoa(i)),
			MessageBody:            aws.String(bodies.body(first+uint64(i), began)),
			MessageGroupId:         group,
			MessageDeduplicationId: dedup,
		}
	}
	out, err := r.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{
		QueueUrl: aws.String(r.queueURL),
		Entries:  entries,
	})
	if err != nil {
		r.sendError(ctx, n, fmt.Errorf("SendMessageBatch: %w", err))
		return 0, false
	}
	done := time.Now()
	for _, ok := range out.Successful {
		i, err := strconv.Atoi(aws.ToString(ok.Id))
		if err != nil || i < 0 || i >= n {
			r.errs.add(fmt.Errorf("SendMessageBatch: reply names entry %q, not one of ours", aws.ToString(ok.Id)))
			continue
		}
		r.tracker.markAcked(first+uint64(i), done)
	}
	for _, failed := range out.Failed {
		r.sendFailed.Add(1)
		r.errs.add(fmt.Errorf("SendMessageBatch entry %s: %s: %s",
			aws.ToString(failed.Id), aws.ToString(failed.Code), aws.ToString(failed.Message)))
	}
	return done.Sub(began), true
}

// sendError records a failed send call unless it was only the run ending.
func (r *run) sendError(ctx context.Context, n int, err error) {
	if stoppedBy(ctx, err) {
		return
	}
	r.sendFailed.Add(int64(n))
	r.errs.add(err)
}

// fifoIDs are message seq's group and deduplication ids in FIFO mode, nil
// otherwise.
func (r *run) fifoIDs(seq uint64) (group, dedup *string) {
	if r.cfg.Groups == 0 {
		return nil, nil
	}
	return aws.String(groupOf(seq, r.cfg.Groups)), aws.String(fmt.Sprintf("%08x-%d", r.cfg.RunID, seq))
}

func groupOf(seq uint64, groups int) string {
	return "g" + strconv.FormatUint(seq%uint64(groups), 10)
}
