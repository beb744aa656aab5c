package sqsapi_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

// fullStore refuses writes as the local store does on a full disk while
// full is set.
type fullStore struct {
	kv.Store
	full atomic.Bool
}

func (s *fullStore) Update(ctx context.Context, fn func(tx kv.Txn) error) error {
	if s.full.Load() {
		return fmt.Errorf("engine: commit: %w", local.ErrNoSpace)
	}
	return s.Store.Update(ctx, fn)
}

// A store that cannot write now but recovers by itself (a full disk) is
// answered ServiceUnavailable (503), SQS's temporary failure, not
// InternalFailure; SDKs retry both.
func TestFullDiskIsServiceUnavailable(t *testing.T) {
	store := &fullStore{Store: kvtest.OpenLocal(t)}
	s := newServer(t, store)
	c := s.client("KEYA")
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q")})
	if err != nil {
		t.Fatal(err)
	}
	store.full.Store(true)
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: out.QueueUrl, MessageBody: aws.String("m")}, func(o *sqs.Options) { o.RetryMaxAttempts = 1 })
	wantWireError(t, err, "ServiceUnavailable", http.StatusServiceUnavailable, "The request has failed due to a temporary failure of the server.")
	store.full.Store(false)
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: out.QueueUrl, MessageBody: aws.String("m")}); err != nil {
		t.Fatalf("send once the disk has room: %v", err)
	}
}
