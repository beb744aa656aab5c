package topics_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/topics"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

// BenchmarkFanout is issue 23's benchmark without HTTP: publishing to a
// topic with 4 raw sqs subscriptions (mode=publish) against sending the
// same message to the 4 queues with one SendMessage each (mode=direct),
// on a durable local store (fsync on commit, as `sluice dev`), reported
// as delivered msgs/s. Alternate the modes for a ratio the machine's mood
// does not decide:
//
//	go test -c ./data-plane/topics
//	for i in 1 2 3; do for m in publish direct; do
//	  ./topics.test -test.run '^$' -test.bench "Fanout/mode=$m" -test.benchtime 2s; done; done
func BenchmarkFanout(b *testing.B) {
	const fanout, workers = 4, 8
	body := strings.Repeat("x", 256)
	for _, mode := range []string{"publish", "direct"} {
		b.Run("mode="+mode, func(b *testing.B) {
			store, err := local.Open(filepath.Join(b.TempDir(), "kv"), local.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = store.Close() })
			eng, err := engine.New(store, engine.Options{ReceiptKey: []byte("0123456789abcdef0123456789abcdef"), PollInterval: 20 * time.Millisecond})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = eng.Close() })
			cat := topics.New(store, topics.Options{})
			if _, err := cat.Create(ctx, tref("bench"), nil, nil, nil); err != nil {
				b.Fatal(err)
			}
			var qs []queues.Ref
			for i := range fanout {
				q := queues.Ref{Account: account, Region: region, Name: fmt.Sprint("q", i)}
				if _, err := eng.Catalog().Create(ctx, q, nil, nil); err != nil {
					b.Fatal(err)
				}
				if _, err := cat.Subscribe(ctx, tref("bench"), "sqs", q.ARN(), map[string]string{"RawMessageDelivery": "true"}); err != nil {
					b.Fatal(err)
				}
				qs = append(qs, q)
			}
			kvtest.RunSplit(b, workers, fanout, "msgs/s", func(int, int) error {
				if mode == "publish" {
					res, err := cat.Publish(ctx, eng, tref("bench"), topics.Message{Body: body})
					if err == nil && res.Delivered != fanout {
						err = fmt.Errorf("delivered to %d queues", res.Delivered)
					}
					return err
				}
				for _, q := range qs {
					if _, err := eng.SendMessage(ctx, q, engine.SendInput{Body: body}); err != nil {
						return err
					}
				}
				return nil
			})
		})
	}
}
