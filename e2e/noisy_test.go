package e2e

import (
	"context"
	"errors"
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

// TestNoisyNeighbour drives one tenant far over its send quota from 8
// goroutines while a quiet tenant sends at 50 msgs/s, and reports the
// quiet tenant's latency against a run without the noise. It checks that
// the noisy tenant is throttled and the quiet one never is; the latency
// ratio is measured and logged, not asserted (the machine is shared).
func TestNoisyNeighbour(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 10 s")
	}
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	ctx := context.Background()
	quiet := sqsClient(p, p.SecretKey)
	qURL := mustOK(quiet.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("quiet")}))(t).QueueUrl

	_, _, noisy := newTenant(t, p, `{"quotas":{"sendPerSecond":100}}`)
	nURL := mustOK(noisy.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("noisy")}))(t).QueueUrl

	base50, base99 := quietLatency(t, quiet, qURL, 4*time.Second)

	var accepted, throttled atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
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

	if throttled.Load() == 0 {
		t.Fatal("the noisy tenant was never throttled")
	}
	offered := accepted.Load() + throttled.Load()
	t.Logf("noisy tenant: %d calls in ~4.5 s (%d accepted at its 100/s quota, %d throttled)", offered, accepted.Load(), throttled.Load())
	t.Logf("quiet tenant send latency: p50 %v -> %v, p99 %v -> %v (p99 ratio %.2f×)",
		base50.Round(time.Microsecond), loud50.Round(time.Microsecond), base99.Round(time.Microsecond), loud99.Round(time.Microsecond),
		float64(loud99)/float64(base99))
}
