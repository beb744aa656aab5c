package engine_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

// benchEngine is an engine on a durable local store, the default of
// `sluice dev`.
func benchEngine(b *testing.B) *engine.Engine {
	b.Helper()
	store, err := local.Open(filepath.Join(b.TempDir(), "kv"), local.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = store.Close() })
	return newEngine(b, store, time.Now)
}

var benchBody = strings.Repeat("x", 256)

func batchOf(n int) []engine.SendInput {
	in := make([]engine.SendInput, n)
	for i := range in {
		in[i] = engine.SendInput{Body: benchBody}
	}
	return in
}

func BenchmarkSend(b *testing.B) {
	for _, batch := range []int{1, 10} {
		for _, workers := range []int{1, 8} {
			b.Run(fmt.Sprintf("batch=%d/goroutines=%d", batch, workers), func(b *testing.B) {
				e := benchEngine(b)
				q := mustCreate(b, e, "q", nil)
				in := batchOf(batch)
				kvtest.RunSplit(b, workers, batch, "msgs/s", func(int, int) error {
					_, err := e.SendMessageBatch(ctx, q, in)
					return err
				})
			})
		}
	}
}

func BenchmarkReceiveDelete(b *testing.B) {
	for _, batch := range []int{1, 10} {
		for _, workers := range []int{1, 8} {
			b.Run(fmt.Sprintf("batch=%d/goroutines=%d", batch, workers), func(b *testing.B) {
				e := benchEngine(b)
				q := mustCreate(b, e, "q", nil)
				fill(b, e, q, b.N*batch+workers*batch)
				kvtest.RunSplit(b, workers, batch, "msgs/s", func(int, int) error {
					return receiveDelete(e, q, batch)
				})
			})
		}
	}
}

func fill(b *testing.B, e *engine.Engine, q queues.Ref, n int) {
	b.Helper()
	in := batchOf(10)
	for i := 0; i < n; i += 10 {
		if _, err := e.SendMessageBatch(ctx, q, in); err != nil {
			b.Fatal(err)
		}
	}
}

func receiveDelete(e *engine.Engine, q queues.Ref, batch int) error {
	msgs, err := e.ReceiveMessage(ctx, q, engine.ReceiveInput{MaxNumberOfMessages: batch, WaitTimeSeconds: intp(0)})
	if err != nil {
		return err
	}
	if len(msgs) == 0 {
		return fmt.Errorf("queue ran dry")
	}
	handles := make([]string, len(msgs))
	for i, m := range msgs {
		handles[i] = m.ReceiptHandle
	}
	_, err = e.DeleteMessageBatch(ctx, q, handles)
	return err
}

// BenchmarkReceiveAfterChurn measures one send+receive+delete on a queue
// through which churn messages were sent and deleted first, against a
// fresh queue: scan floors must keep it flat.
func BenchmarkReceiveAfterChurn(b *testing.B) {
	for _, churn := range []int{0, 1_000_000} {
		b.Run(fmt.Sprintf("churned=%d", churn), func(b *testing.B) {
			e := benchEngine(b)
			q := mustCreate(b, e, "q", nil)
			for done := 0; done < churn; done += 1000 {
				fill(b, e, q, 1000)
				for range 100 {
					if err := receiveDelete(e, q, 10); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ResetTimer()
			for range b.N {
				if _, err := e.SendMessage(ctx, q, engine.SendInput{Body: benchBody}); err != nil {
					b.Fatal(err)
				}
				if err := receiveDelete(e, q, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
