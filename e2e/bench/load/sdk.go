package load

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sluice-mq/sluice/sdk/queue"
)

// sdkWorkload is workload through sdk/queue (Config.SDK), so the two can
// be compared on one server in one run.
func (r *run) sdkWorkload(runCtx context.Context) measured {
	producer, err := queue.NewProducer(r.client, r.queueURL, queue.ProducerOptions{MaxInFlight: r.cfg.Producers})
	if err != nil {
		r.errs.add(err)
		return measured{cut: true}
	}
	consumer, err := queue.NewConsumer(r.client, r.queueURL, queue.ConsumerOptions{
		Pollers:     r.cfg.Consumers,
		Concurrency: r.cfg.Consumers * r.cfg.Batch,
		MaxMessages: r.cfg.Batch,
		WaitTime:    sdkWaitTime(r.cfg.WaitTimeSeconds),
		OnError:     func(err error) { r.errs.add(err) },
	})
	if err != nil {
		r.errs.add(err)
		return measured{cut: true}
	}
	stopConsumer, stop := context.WithCancel(runCtx)
	defer stop()

	var samples consumerSamples
	var samplesMu sync.Mutex
	consumed := make(chan struct{})
	go func() {
		defer close(consumed)
		_ = consumer.Run(stopConsumer, func(_ context.Context, m *queue.Received) error {
			now := time.Now()
			body := m.Body
			msg := types.Message{Body: &body, Attributes: m.System}
			if sentAt, first := r.account(msg, now); first {
				samplesMu.Lock()
				samples.endToEnd = append(samples.endToEnd, now.Sub(sentAt))
				samplesMu.Unlock()
			}
			return nil
		})
	}()

	sendSamples := make([][]time.Duration, r.cfg.Producers)
	var producers sync.WaitGroup
	for i := range r.cfg.Producers {
		producers.Go(func() { sendSamples[i] = r.produceSDK(runCtx, producer) })
	}
	producers.Wait()
	if err := producer.Close(runCtx); err != nil && !stoppedBy(runCtx, err) {
		r.errs.add(fmt.Errorf("close producer: %w", err))
	}
	drained := r.awaitDelivery(runCtx)
	stop()
	<-consumed
	return measured{
		elapsed:  time.Since(r.start),
		drained:  drained,
		cut:      runCtx.Err() != nil && !r.complete(),
		sends:    sendSamples,
		receives: []consumerSamples{samples},
	}
}

// produceSDK sends ids one message at a time through p, keeping up to
// Batch of them outstanding, and returns each message's time to stored.
func (r *run) produceSDK(ctx context.Context, p *queue.Producer) []time.Duration {
	bodies := newBodyWriter(r.cfg.RunID, r.cfg.MessageSize)
	total := uint64(r.cfg.Messages)
	type outstanding struct {
		seq     uint64
		began   time.Time
		pending *queue.Pending
	}
	var (
		window    []outstanding
		latencies []time.Duration
	)
	settle := func(o outstanding) {
		_, err := o.pending.Wait(ctx)
		switch {
		case err == nil:
			done := time.Now()
			r.tracker.markAcked(o.seq, done)
			latencies = append(latencies, done.Sub(o.began))
		case errors.Is(err, ctx.Err()):
		default:
			r.sendFailed.Add(1)
			r.errs.add(fmt.Errorf("Producer.Send: %w", err))
		}
	}
	for ctx.Err() == nil {
		seq := r.nextSeq.Add(1) - 1
		if seq >= total {
			break
		}
		if !r.waitForSchedule(ctx, seq) {
			break
		}
		if len(window) == r.cfg.Batch {
			settle(window[0])
			window = window[1:]
		}
		began := time.Now()
		group, dedup := r.fifoIDs(seq)
		m := queue.Message{Body: bodies.body(seq, began)}
		if group != nil {
			m.GroupID, m.DedupID = *group, *dedup
		}
		pending, err := p.SendAsync(ctx, m)
		if err != nil {
			r.sendError(ctx, 1, fmt.Errorf("Producer.SendAsync: %w", err))
			continue
		}
		window = append(window, outstanding{seq, began, pending})
	}
	for _, o := range window {
		settle(o)
	}
	return latencies
}

// sdkWaitTime is ConsumerOptions.WaitTime for a receive wait of seconds:
// 0 is a short poll (queue.ShortPoll), not the Consumer's 20 s default.
func sdkWaitTime(seconds int) time.Duration {
	if seconds == 0 {
		return queue.ShortPoll
	}
	return time.Duration(seconds) * time.Second
}
