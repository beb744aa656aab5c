package load

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// consumerSamples are one consumer's latencies.
type consumerSamples struct {
	receive  []time.Duration
	delete   []time.Duration
	endToEnd []time.Duration
}

// errorBackoff keeps a failing endpoint from being hammered in a tight
// loop; the SDK has already retried by then.
const errorBackoff = 50 * time.Millisecond

// consume receives and deletes until stop ends. Deletes use runCtx, so the
// last batch received before stop is still deleted.
func (r *run) consume(stop, runCtx context.Context) consumerSamples {
	var s consumerSamples
	in := &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(r.queueURL),
		MaxNumberOfMessages: int32(r.cfg.Batch),
		WaitTimeSeconds:     int32(r.cfg.WaitTimeSeconds),
	}
	if r.cfg.Groups > 0 {
		in.MessageSystemAttributeNames = []types.MessageSystemAttributeName{types.MessageSystemAttributeNameSequenceNumber}
	}
	for stop.Err() == nil {
		began := time.Now()
		out, err := r.client.ReceiveMessage(stop, in)
		if err != nil {
			if stoppedBy(stop, err) {
				break
			}
			r.errs.add(fmt.Errorf("ReceiveMessage: %w", err))
			sleep(stop, errorBackoff)
			continue
		}
		if len(out.Messages) == 0 {
			r.emptyReceives.Add(1)
			continue
		}
		now := time.Now()
		s.receive = append(s.receive, now.Sub(began))
		for _, m := range out.Messages {
			if sentAt, first := r.account(m, now); first {
				s.endToEnd = append(s.endToEnd, now.Sub(sentAt))
			}
		}
		if took, ok := r.delete(runCtx, out.Messages); ok {
			s.delete = append(s.delete, took)
		}
	}
	return s
}

// account records one received body and returns its send time and whether
// it is the id's first receipt.
func (r *run) account(m types.Message, now time.Time) (time.Time, bool) {
	h, err := parseBody(aws.ToString(m.Body))
	if err != nil || h.runID != r.cfg.RunID {
		r.tracker.foreign.Add(1)
		return time.Time{}, false
	}
	r.receipts.Add(1)
	first := r.tracker.markReceived(h.seq, now)
	if first && r.cfg.Groups > 0 {
		r.order.observe(groupOf(h.seq, r.cfg.Groups), m.Attributes[string(types.MessageSystemAttributeNameSequenceNumber)])
	}
	return h.sentAt, first
}

// orderChecker counts first receipts that arrive with a sequence number
// lower than one already received in their group. A consumer observes a
// message before deleting it, and a FIFO queue delivers the group's next
// message only after that delete, so on a correct server the count is 0.
type orderChecker struct {
	mu         sync.Mutex
	last       map[string]string // SQS sequence numbers: fixed-width decimals
	violations int64
	missing    int64 // receipts without a sequence number
}

func (o *orderChecker) observe(group, seq string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if seq == "" {
		o.missing++
		return
	}
	if o.last == nil {
		o.last = map[string]string{}
	}
	if prev := o.last[group]; len(seq) < len(prev) || (len(seq) == len(prev) && seq < prev) {
		o.violations++
		return
	}
	o.last[group] = seq
}

func (o *orderChecker) counts() (violations, missing int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.violations, o.missing
}

// delete deletes received messages in one call and reports its latency if
// it succeeded.
func (r *run) delete(ctx context.Context, msgs []types.Message) (time.Duration, bool) {
	began := time.Now()
	if len(msgs) == 1 {
		_, err := r.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{
			QueueUrl:      aws.String(r.queueURL),
			ReceiptHandle: msgs[0].ReceiptHandle,
		})
		if err != nil {
			r.deleteError(ctx, 1, fmt.Errorf("DeleteMessage: %w", err))
			return 0, false
		}
		return time.Since(began), true
	}
	entries := make([]types.DeleteMessageBatchRequestEntry, len(msgs))
	for i, m := range msgs {
		entries[i] = types.DeleteMessageBatchRequestEntry{
			Id:            aws.String(strconv.Itoa(i)),
			ReceiptHandle: m.ReceiptHandle,
		}
	}
	out, err := r.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{
		QueueUrl: aws.String(r.queueURL),
		Entries:  entries,
	})
	if err != nil {
		r.deleteError(ctx, len(msgs), fmt.Errorf("DeleteMessageBatch: %w", err))
		return 0, false
	}
	took := time.Since(began)
	for _, failed := range out.Failed {
		r.deleteFailed.Add(1)
		r.errs.add(fmt.Errorf("DeleteMessageBatch entry %s: %s: %s",
			aws.ToString(failed.Id), aws.ToString(failed.Code), aws.ToString(failed.Message)))
	}
	return took, true
}

func (r *run) deleteError(ctx context.Context, n int, err error) {
	if stoppedBy(ctx, err) {
		return
	}
	r.deleteFailed.Add(int64(n))
	r.errs.add(err)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
