package load

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sluice-mq/sluice/sdk/awshttp"
)

// NewHTTPClient returns a client keeping an idle connection per worker, so
// a run measures requests rather than connection set-up.
func NewHTTPClient(workers int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = max(workers*2, 100)
	t.MaxIdleConnsPerHost = max(workers*2, 2)
	t.IdleConnTimeout = 90 * time.Second
	t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	// No client-wide timeout: every call carries the run's context, and a
	// long poll legitimately takes WaitTimeSeconds.
	return &http.Client{Transport: t}
}

// countingRetryer is the SDK's standard retryer with a count of retries,
// since a run that only succeeds by retrying is not the run it looks like.
type countingRetryer struct {
	aws.RetryerV2
	retries *atomic.Int64
}

// RetryDelay is called once before every retry.
func (r countingRetryer) RetryDelay(attempt int, err error) (time.Duration, error) {
	r.retries.Add(1)
	return r.RetryerV2.RetryDelay(attempt, err)
}

func newRetryer(retries *atomic.Int64, maxBackoff time.Duration) aws.RetryerV2 {
	standard := retry.NewStandard(func(o *retry.StandardOptions) {
		// The client-side retry quota would turn a burst of server errors
		// into client-made failures; the bench wants to see the server's.
		o.RateLimiter = ratelimit.None
		if maxBackoff > 0 {
			o.MaxBackoff = maxBackoff
			o.Backoff = retry.NewExponentialJitterBackoff(maxBackoff)
		}
	})
	return countingRetryer{RetryerV2: standard, retries: retries}
}

// newSQSClient builds a client with static credentials against cfg's
// endpoint, sharing httpClient's transport under sdk/awshttp's, which
// keeps the SDK's closed request bodies away from net/http's connections
// (docs/architecture.md §6, "Large replies").
func newSQSClient(cfg Config, httpClient *http.Client, retries *atomic.Int64) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:       cfg.Region,
		BaseEndpoint: aws.String(cfg.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, ""),
		HTTPClient:   awshttp.NewClient(httpClient),
		Retryer:      newRetryer(retries, cfg.maxRetryBackoff),
	})
}

// stoppedBy reports whether err is only the run ending under a call.
func stoppedBy(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() != nil
}
