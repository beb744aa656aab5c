package e2e

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
)

// quietLatency sends at 50 msgs/s for span and returns the send calls'
// p50 and p99.
func quietLatency(t *testing.T, c *sqs.Client, queue *string, span time.Duration) (p50, p99 time.Duration) {
	t.Helper()
	ctx := context.Background()
	var lat []time.Duration
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for end := time.Now().Add(span); time.Now().Before(end); <-tick.C {
		start := time.Now()
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: queue, MessageBody: aws.String("quiet")}); err != nil {
			t.Fatalf("quiet tenant's send failed: %v", err)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	return lat[len(lat)/2], lat[len(lat)*99/100]
}

// noisyQuota is the noisy tenant's send quota in calls/s; its bucket holds
// one second of it (docs/architecture.md §7).
const noisyQuota = 100

// quietP99Bound is the most the quiet tenant's p99 send latency may reach
// while the noisy tenant is hammered. Measured 10–13 ms on an idle 2-core
// box shared with the noisy client, 109 ms with other tests running; the
// bound leaves room for a loaded CI machine and still catches throttled
// calls stalling other tenants' (a 300 ms stall per throttled call gave
// 312 ms).
const quietP99Bound = 300 * time.Millisecond

// TestNoisyNeighbour drives one tenant far over its send quota from 8
// goroutines while a quiet tenant sends at 50 msgs/s. It checks that the
// noisy tenant is throttled and never accepted past its quota, that the
// quiet one is never throttled and its p99 stays under quietP99Bound; the
// latency ratio against a run without the noise is logged, not asserted
// (the machine is shared, so the baseline itself is noisy).
func TestNoisyNeighbour(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 10 s")
	}
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	ctx := context.Background()
	quiet := sqsClient(p, p.SecretKey)
	qURL := mustOK(quiet.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("quiet")}))(t).QueueUrl

	_, _, noisy := newTenant(t, p, fmt.Sprintf(`{"quotas":{"sendPerSecond":%d}}`, noisyQuota))
	nURL := mustOK(noisy.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("noisy")}))(t).QueueUrl

	base50, base99 := quietLatency(t, quiet, qURL, 4*time.Second)

	var accepted, throttled atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	// Taken before the first noisy call and after the last returns, so the
	// server's window for accepting them lies inside elapsed.
	noiseStart := time.Now()
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, err := noisy.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: nURL, MessageBody: aws.String("noise")})
				var ae smithy.APIError
				switch {
				case err == nil:
					accepted.Add(1)
				case errors.As(err, &ae) && ae.ErrorCode() == "RequestThrottled":
					throttled.Add(1)
				default:
					t.Errorf("noisy send: %v", err)
					return
				}
			}
		})
	}
	time.Sleep(500 * time.Millisecond)
	loud50, loud99 := quietLatency(t, quiet, qURL, 4*time.Second)
	close(stop)
	wg.Wait()
	elapsed := time.Since(noiseStart)

	offered := accepted.Load() + throttled.Load()
	t.Logf("noisy tenant: %d calls in %v (%d accepted at its %d/s quota, %d throttled)",
		offered, elapsed.Round(time.Millisecond), accepted.Load(), noisyQuota, throttled.Load())
	t.Logf("quiet tenant send latency: p50 %v -> %v, p99 %v -> %v (p99 ratio %.2f×)",
		base50.Round(time.Microsecond), loud50.Round(time.Microsecond), base99.Round(time.Microsecond), loud99.Round(time.Microsecond),
		float64(loud99)/float64(base99))

	if throttled.Load() == 0 {
		t.Fatal("the noisy tenant was never throttled")
	}
	// The ceiling: a token bucket admits at most its burst (one second of
	// quota) plus the quota over the time it was asked. The slack (1% + 5
	// calls) only absorbs clock rounding; a burst or rate even 10% too large
	// breaks it (measured: 549 accepted against a ceiling of 550 in ~4.5 s).
	ceiling := noisyQuota*elapsed.Seconds() + noisyQuota
	if got, limit := float64(accepted.Load()), ceiling*1.01+5; got > limit {
		t.Errorf("noisy tenant had %.0f calls accepted in %v, over its ceiling of %.0f (quota %d/s × elapsed + %d burst, with slack %.0f)",
			got, elapsed.Round(time.Millisecond), ceiling, noisyQuota, noisyQuota, limit)
	}
	// Isolation: the noisy tenant's throttled calls must not delay others.
	if loud99 > quietP99Bound {
		t.Errorf("quiet tenant's p99 send latency under noise is %v, want under %v", loud99.Round(time.Microsecond), quietP99Bound)
	}
}
