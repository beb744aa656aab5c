package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
)

// TestSNSFanOutThroughput is the benchmark of issue 23: publishing to a
// topic with 4 queue subscriptions, against sending the same messages
// straight to the 4 queues (one SendMessage per queue, the 4 at once),
// both through
// aws-sdk-go-v2 against one `sluice dev` (Pebble, fsync on commit), in
// alternating rounds of the same concurrency and message count. It
// reports delivered messages per second of each and their ratio (the
// issue's target: fan-out ≥ 0.8× direct). It runs only with
// SLUICE_FANOUT_BENCH=1 (it takes about a minute); SLUICE_FANOUT_ROUNDS,
// _MESSAGES and _WORKERS change its size.
func TestSNSFanOutThroughput(t *testing.T) {
	if os.Getenv("SLUICE_FANOUT_BENCH") != "1" {
		t.Skip("set SLUICE_FANOUT_BENCH=1 to run the fan-out benchmark")
	}
	envInt := func(name string, def int) int {
		if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 && n <= 100_000 {
			return n
		}
		return def
	}
	rounds, messages, workers := envInt("SLUICE_FANOUT_ROUNDS", 3), envInt("SLUICE_FANOUT_MESSAGES", 400), envInt("SLUICE_FANOUT_WORKERS", 8)
	const fanout = 4

	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	ctx := context.Background()
	q := sqsClient(p, p.SecretKey)
	s := snsClientFor(p, p.AccessKey, p.SecretKey)
	topic := mustOK(s.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("bench")}))(t).TopicArn
	var urls []string
	for i := range fanout {
		url, arn := snsQueue(t, q, fmt.Sprint("bench-", i), nil)
		urls = append(urls, url)
		mustOK(s.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic, Protocol: aws.String("sqs"), Endpoint: aws.String(arn),
			Attributes: map[string]string{"RawMessageDelivery": "true"}}))(t)
	}
	body := aws.String(strings.Repeat("x", 256))

	// run sends messages through op with the workers, and returns the
	// deliveries per second (messages × 4).
	run := func(op func(ctx context.Context) error) float64 {
		var next atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		start := time.Now()
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(messages) {
					if err := op(ctx); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		return float64(messages*fanout) / elapsed.Seconds()
	}
	publish := func(ctx context.Context) error {
		_, err := s.Publish(ctx, &sns.PublishInput{TopicArn: topic, Message: body})
		return err
	}
	// The direct baseline sends a message's 4 copies at once, the
	// fastest way a client has to put a message in 4 queues.
	direct := func(ctx context.Context) error {
		errs := make([]error, len(urls))
		var wg sync.WaitGroup
		for i, u := range urls {
			wg.Go(func() {
				_, errs[i] = q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(u), MessageBody: body})
			})
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	counts := func() []int {
		var out []int
		for _, u := range urls {
			a := mustOK(q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(u),
				AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages"}}))(t)
			n, _ := strconv.Atoi(a.Attributes["ApproximateNumberOfMessages"])
			out = append(out, n)
		}
		return out
	}

	run(direct) // warm up connections and the store
	run(publish)
	var ratios, fan, dir []float64
	for r := range rounds {
		d := run(direct)
		f := run(publish)
		dir, fan, ratios = append(dir, d), append(fan, f), append(ratios, f/d)
		t.Logf("round %d: fan-out %.0f deliveries/s, direct %.0f sends/s, ratio %.2f", r+1, f, d, f/d)
	}
	// Every queue holds every message of every round (counts are up to
	// about a second old).
	want := (rounds + 1) * messages * 2
	deadline := time.Now().Add(10 * time.Second)
	for got := counts(); !slices.Equal(got, []int{want, want, want, want}); got = counts() {
		if time.Now().After(deadline) {
			t.Fatalf("queues hold %v messages, want %d each", got, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
	median := func(xs []float64) float64 { xs = slices.Clone(xs); slices.Sort(xs); return xs[len(xs)/2] }
	t.Logf("%d rounds of %d messages, %d workers, %d queues: fan-out median %.0f deliveries/s, direct median %.0f sends/s, median ratio %.2f",
		rounds, messages, workers, fanout, median(fan), median(dir), median(ratios))
	if median(ratios) < 0.8 {
		t.Errorf("fan-out is %.2f× sending straight to the queues, under the 0.8× target", median(ratios))
	}
}
