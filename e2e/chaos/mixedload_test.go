package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sluice-mq/sluice/e2e/chaos/history"
)

// mixedLoad is the load the scenarios share, on the queues setupQueues
// makes: two standard producers and one FIFO producer (single and batch
// sends, delays on the standard queue), two consumers of each queue and
// one of each dead-letter queue (visibility 1–3 s, one message in five
// abandoned, so some reach the dead-letter queues).
type mixedLoad struct {
	producers, consumers sync.WaitGroup
}

// producerPace is the producers' pause after each send call (0: none), the
// standard queue's and the FIFO queue's. A FIFO queue drains more slowly:
// an abandoned message holds its group until its visibility runs out.
type producerPace struct{ std, fifo time.Duration }

// mixedLoadClients is how many clients a mixedLoad runs, each with its
// own connection pool.
const mixedLoadClients = 9

// startMixedLoad starts the producers until produce is done and the
// consumers until consume is done. stream picks the random sources, so
// scenarios differ from each other but each repeats.
func startMixedLoad(produce, consume context.Context, newClient func() *sqs.Client, rec *history.Recorder,
	urls map[string]string, stream uint64, pace producerPace) *mixedLoad {
	l := &mixedLoad{}
	for i := range 2 {
		w := &worker{name: fmt.Sprintf("std-p%d", i), c: newClient(), rec: rec, rnd: rand.New(rand.NewPCG(uint64(i), stream)), pace: pace.std}
		l.producers.Go(func() { w.produce(produce, urls[stdQ], stdQ, false) })
	}
	{
		w := &worker{name: "fifo-p0", c: newClient(), rec: rec, rnd: rand.New(rand.NewPCG(10, stream)), pace: pace.fifo}
		l.producers.Go(func() { w.produce(produce, urls[fifoQ], fifoQ, true) })
	}
	for i, q := range []string{stdQ, stdQ, fifoQ, fifoQ, stdDLQ, fifoDLQ} {
		w := &worker{name: fmt.Sprintf("c%d-%s", i, q), c: newClient(), rec: rec, rnd: rand.New(rand.NewPCG(uint64(20+i), stream))}
		l.consumers.Go(func() { w.consume(consume, urls[q], q) })
	}
	return l
}

// wait waits for every client to stop.
func (l *mixedLoad) wait() {
	l.producers.Wait()
	l.consumers.Wait()
}

// reportAnomalies fails t with r's anomalies (the first 30) and keeps the
// history in a temporary file it names; it does nothing when r is clean.
func reportAnomalies(t *testing.T, r history.Report, ops []history.Op) {
	t.Helper()
	if r.OK() {
		return
	}
	for i, a := range r.Anomalies {
		if i == 30 {
			t.Errorf("… and %d more", len(r.Anomalies)-i)
			break
		}
		t.Errorf("%s", a)
	}
	f, err := os.CreateTemp("", "sluice-chaos-history-*.jsonl")
	if err == nil {
		f.Close()
		writeHistory(t, f.Name(), ops)
		t.Logf("history kept in %s", f.Name())
	}
}

// loadCounts is what a history of the mixed load came to.
type loadCounts struct {
	stdSent, fifoSent, dlqDeliveries int
}

func countLoad(ops []history.Op) loadCounts {
	var c loadCounts
	for _, op := range ops {
		for _, m := range op.Msgs {
			switch {
			case op.Kind == history.Send && m.Outcome == history.OK && op.Queue == stdQ:
				c.stdSent++
			case op.Kind == history.Send && m.Outcome == history.OK && op.Queue == fifoQ:
				c.fifoSent++
			case op.Kind == history.Receive && (op.Queue == stdDLQ || op.Queue == fifoDLQ):
				c.dlqDeliveries++
			}
		}
	}
	return c
}

func (c loadCounts) String() string {
	return fmt.Sprintf("acknowledged sends: %d standard, %d FIFO; %d deliveries from dead-letter queues", c.stdSent, c.fifoSent, c.dlqDeliveries)
}
