package push

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/time/rate"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/data-plane/topics"
	"github.com/sluice-mq/sluice/internal/signature"
)

const (
	// pollSeconds is a worker's long poll: how long an idle subscription's
	// deletion may go unnoticed, too.
	pollSeconds = 10
	// orphanGrace is how long a registry entry may lack its subscription
	// record (Subscribe writes the entry, then the queue, then the record).
	orphanGrace = 2 * time.Minute
	// userAgent is sent with every request.
	userAgent = "Sluice-SNS-Agent/1.0"
)

// worker delivers one push subscription's queue.
type worker struct {
	d       *Dispatcher
	entry   topics.PushEntry
	limiter *rate.Limiter
}

// work runs the worker of entry until ctx ends or the subscription is
// gone (then it deletes the subscription's queue and registry entry).
func (d *Dispatcher) work(ctx context.Context, entry topics.PushEntry) {
	w := &worker{d: d, entry: entry}
	slots := make(chan struct{}, d.opts.Concurrency)
	defer func() { // wait for the deliveries in flight
		for range d.opts.Concurrency {
			slots <- struct{}{}
		}
	}()
	queue := topics.PushQueue(entry.Ref)
	for ctx.Err() == nil {
		t, s, err := d.topics.ReadForPush(ctx, entry.Ref)
		if err != nil {
			d.log.Warn("push: read subscription", "subscription", entry.Ref.ARN(), "error", err)
			sleep(ctx, time.Second)
			continue
		}
		if s == nil {
			if d.clock().Sub(time.UnixMilli(entry.Registered)) < orphanGrace {
				sleep(ctx, 5*time.Second)
				continue
			}
			d.remove(ctx, entry.Ref)
			return
		}
		pol, err := topics.PolicyFor(t, s)
		if err != nil {
			d.log.Warn("push: delivery policy", "subscription", entry.Ref.ARN(), "error", err)
		}
		w.throttle(pol.MaxPerSecond)
		// One free slot at least, then as many as are free (at most 10).
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		n := 1
		for n < min(d.opts.Concurrency, 10) {
			select {
			case slots <- struct{}{}:
				n++
				continue
			default:
			}
			break
		}
		vis := int((d.opts.Timeout + 15*time.Second) / time.Second)
		wait := pollSeconds
		msgs, err := d.eng.ReceiveMessage(ctx, queue, engine.ReceiveInput{
			MaxNumberOfMessages: n, VisibilityTimeout: &vis, WaitTimeSeconds: &wait,
			AttributeNames:        []string{engine.SysApproximateReceiveCount, engine.SysSentTimestamp},
			MessageAttributeNames: []string{"All"},
		})
		for range n - len(msgs) {
			<-slots
		}
		if err != nil {
			if ctx.Err() == nil {
				d.log.Warn("push: receive", "subscription", entry.Ref.ARN(), "error", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		limiter := w.limiter // the deliveries' own copy: throttle replaces it
		for _, m := range msgs {
			go func() {
				defer func() { <-slots }()
				w.deliver(ctx, s, pol, limiter, m)
			}()
		}
	}
}

func (w *worker) throttle(perSecond float64) {
	switch {
	case perSecond <= 0:
		w.limiter = nil
	case w.limiter == nil || float64(w.limiter.Limit()) != perSecond:
		w.limiter = rate.NewLimiter(rate.Limit(perSecond), max(1, int(perSecond)))
	}
}

// remove deletes a vanished subscription's queue, then its registry
// entry, so a crash between the two leaves the entry to try again.
func (d *Dispatcher) remove(ctx context.Context, ref topics.SubRef) {
	err := d.eng.DeleteQueue(ctx, topics.PushQueue(ref))
	if err != nil && !errors.Is(err, sqserr.ErrQueueDoesNotExist) {
		d.log.Warn("push: delete queue of a removed subscription", "subscription", ref.ARN(), "error", err)
		return
	}
	if err := d.topics.Unregister(ctx, ref); err != nil {
		d.log.Warn("push: unregister", "subscription", ref.ARN(), "error", err)
	}
}

// deliver makes one attempt at message m and settles it: deleted when
// delivered, hidden for the policy's delay when it may be retried, else
// sent to the dead-letter queue (notifications, when there is one) and
// deleted.
func (w *worker) deliver(ctx context.Context, s *topics.Subscription, pol topics.DeliveryPolicy, limiter *rate.Limiter, m engine.Message) {
	d := w.d
	queue := topics.PushQueue(s.Ref)
	typ := m.MessageAttributes[topics.PushAttrType].StringValue
	if limiter != nil {
		if err := limiter.Wait(ctx); err != nil {
			return // stopping: the message comes back after its visibility timeout
		}
	}
	err := d.post(ctx, s, pol, typ, m)
	if ctx.Err() != nil {
		return
	}
	if err == nil {
		if err := d.eng.DeleteMessage(ctx, queue, m.ReceiptHandle); err != nil {
			d.log.Warn("push: delete delivered message", "subscription", s.Ref.ARN(), "error", err)
		}
		if d.opts.Gate != nil && typ == topics.TypeNotification {
			d.opts.Gate.Deliver(s.Ref.Topic.Account, s.Ref.Topic.Region, s.Ref.Topic.Name, int64(len(m.Body)))
		}
		return
	}
	failed, _ := strconv.Atoi(m.Attributes[engine.SysApproximateReceiveCount])
	sent, _ := strconv.ParseInt(m.Attributes[engine.SysSentTimestamp], 10, 64)
	age := d.clock().Sub(time.UnixMilli(sent))
	d.log.Debug("push: delivery failed", "subscription", s.Ref.ARN(), "attempt", failed, "error", err)
	if delay, ok := pol.Retry.Next(failed, age); ok {
		secs := int(math.Ceil(delay.Seconds()))
		if err := d.eng.ChangeMessageVisibility(ctx, queue, m.ReceiptHandle, secs); err != nil {
			d.log.Warn("push: schedule retry", "subscription", s.Ref.ARN(), "error", err)
		}
		return
	}
	if pol.DeadLetter != nil && typ == topics.TypeNotification {
		_, err := d.eng.SendMessage(ctx, *pol.DeadLetter, engine.SendInput{Body: m.Body, SenderID: s.Ref.Topic.Account})
		switch {
		case errors.Is(err, sqserr.ErrQueueDoesNotExist):
			d.log.Warn("push: dead-letter queue does not exist; message dropped", "subscription", s.Ref.ARN(), "queue", pol.DeadLetter.Name)
		case err != nil:
			// Left in the queue: it comes back after its visibility
			// timeout and is given up again.
			d.log.Warn("push: send to dead-letter queue", "subscription", s.Ref.ARN(), "error", err)
			return
		}
	}
	if err := d.eng.DeleteMessage(ctx, queue, m.ReceiptHandle); err != nil {
		d.log.Warn("push: delete given-up message", "subscription", s.Ref.ARN(), "error", err)
	}
}

// post sends one message to the endpoint; nil on a 2xx reply.
func (d *Dispatcher) post(ctx context.Context, s *topics.Subscription, pol topics.DeliveryPolicy, typ string, m engine.Message) error {
	ctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	defer cancel()
	body := []byte(m.Body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	h := req.Header
	h.Set("Content-Type", pol.ContentType)
	h.Set("User-Agent", userAgent)
	h.Set("x-amz-sns-message-type", typ)
	h.Set("x-amz-sns-message-id", m.MessageAttributes[topics.PushAttrMessageID].StringValue)
	h.Set("x-amz-sns-topic-arn", s.Ref.Topic.ARN())
	if typ == topics.TypeNotification {
		h.Set("x-amz-sns-subscription-arn", s.Ref.ARN())
		if s.RawDelivery() {
			h.Set("x-amz-sns-rawdelivery", "true")
		}
	}
	if s.Push != nil {
		h.Set(signature.Header, signature.Sign(s.Push.Secret, d.clock(), body))
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, d.opts.MaxResponseBytes))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("endpoint answered %s", resp.Status)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
