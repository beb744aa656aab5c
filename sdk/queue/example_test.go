package queue_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sluice-mq/sluice/sdk/queue"
)

// A client for the endpoint `sluice dev` prints; against Amazon SQS, build
// it with config.LoadDefaultConfig instead.
func devClient() *sqs.Client {
	return sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://127.0.0.1:9324"),
		Credentials:  credentials.NewStaticCredentialsProvider(os.Getenv("SLUICE_KEY"), os.Getenv("SLUICE_SECRET"), ""),
	})
}

const queueURL = "http://127.0.0.1:9324/000000000000/orders"

func ExampleProducer() {
	ctx := context.Background()
	p, err := queue.NewProducer(devClient(), queueURL, queue.ProducerOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close(ctx)
	// Concurrent Sends share SendMessageBatch requests; each returns its
	// own message's outcome once it is stored.
	res, err := p.Send(ctx, queue.Message{Body: `{"order":42}`, Attributes: map[string]queue.Attribute{"kind": queue.StringAttr("created")}})
	var entryErr *queue.EntryError
	if errors.As(err, &entryErr) {
		log.Fatalf("refused: %s", entryErr.Code)
	} else if err != nil {
		log.Fatal(err)
	}
	fmt.Println("stored as", res.MessageID)
}

func ExampleConsumer_Run() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	c, err := queue.NewConsumer(devClient(), queueURL, queue.ConsumerOptions{
		Pollers: 2, Concurrency: 20, DrainTimeout: 10 * time.Second,
	})
	if err != nil {
		log.Fatal(err)
	}
	h := func(ctx context.Context, m *queue.Received) error {
		fmt.Println("order", m.Body, "delivery", m.ReceiveCount)
		return nil // acknowledged: deleted in a batch
	}
	// Until Ctrl-C; then unstarted messages go back and running ones finish.
	if err := c.Run(ctx, queue.Chain(h, queue.Logging(slog.Default()), queue.Tracing(noop.NewTracerProvider(), "orders"))); err != nil {
		log.Fatal(err)
	}
}

// Middleware wraps handlers; the first given is the outermost.
func ExampleChain() {
	tag := func(name string) queue.Middleware {
		return func(next queue.Handler) queue.Handler {
			return func(ctx context.Context, m *queue.Received) error {
				fmt.Println("enter", name)
				defer fmt.Println("leave", name)
				return next(ctx, m)
			}
		}
	}
	h := queue.Chain(func(context.Context, *queue.Received) error {
		fmt.Println("handle")
		return nil
	}, tag("outer"), tag("inner"))
	_ = h(context.Background(), &queue.Received{Body: "b"})
	// Output:
	// enter outer
	// enter inner
	// handle
	// leave inner
	// leave outer
}

func ExampleExponentialBackoff() {
	b := queue.ExponentialBackoff(time.Second, 5*time.Second)
	for n := 1; n <= 4; n++ {
		fmt.Println(n, b(n))
	}
	// Output:
	// 1 1s
	// 2 2s
	// 3 4s
	// 4 5s
}
