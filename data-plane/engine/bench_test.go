package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

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
	// As `sluice dev` builds it: the store's only writer needs no scan
	// margin for other nodes' late commits (with the default 250 ms, every
	// ready scan stepped over the last 250 ms of consumed entries, about
	// 450 points a scan, which `sluice dev` never does), and its fresh
	// store has one shard a queue (shards.go).
	shards, err := engine.StoredShards(context.Background(), store, 1)
	if err != nil {
		b.Fatal(err)
	}
	return newEngineWith(b, store, engine.Options{ScanMargin: -1, Shards: shards})
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

// BenchmarkPipeline is `make loadtest`'s workload b without HTTP: 8
// producers sending batches of 10 and 8 consumers receiving and deleting
// batches of 10 at once, on the durable local store; with a backlog, that
// many messages wait in the queue first, as they do when the load test's
// producers outrun its consumers. b.N is the messages delivered; it
// reports the process's CPU time per delivered message, the figure issue
// 20 targets, which moves much less with the machine's load than msgs/s.
func BenchmarkPipeline(b *testing.B) {
	for _, backlog := range []int{0, 20000} {
		b.Run(fmt.Sprintf("backlog=%d", backlog), func(b *testing.B) {
			benchmarkPipeline(b, benchEngine(b), backlog, func() {})
		})
	}
}

// benchmarkPipeline runs the pipeline on e; started is called once the
// backlog is in, as the measured part begins.
func benchmarkPipeline(b *testing.B, e *engine.Engine, backlog int, started func()) {
	const producers, consumers, batch = 8, 8, 10
	q := mustCreate(b, e, "q", nil)
	fill(b, e, q, backlog)
	total := int64((b.N + batch - 1) / batch * batch)
	var sent, delivered atomic.Int64
	errs := make(chan error, producers+consumers)
	var wg sync.WaitGroup
	in := batchOf(batch)
	b.ResetTimer()
	started()
	cpu := kvtest.StartCPUMeter()
	for range producers {
		wg.Go(func() {
			for sent.Add(batch) <= total {
				if _, err := e.SendMessageBatch(ctx, q, in); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for range consumers {
		wg.Go(func() {
			for delivered.Load() < total {
				msgs, err := e.ReceiveMessage(ctx, q, engine.ReceiveInput{MaxNumberOfMessages: batch, WaitTimeSeconds: intp(1)})
				if err != nil {
					errs <- err
					return
				}
				if len(msgs) == 0 {
					continue
				}
				handles := make([]string, len(msgs))
				for i, m := range msgs {
					handles[i] = m.ReceiptHandle
				}
				if _, err := e.DeleteMessageBatch(ctx, q, handles); err != nil {
					errs <- err
					return
				}
				delivered.Add(int64(len(msgs)))
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(delivered.Load())/b.Elapsed().Seconds(), "msgs/s")
	cpu.Report(b, int(delivered.Load()), "msgs/s")
}
