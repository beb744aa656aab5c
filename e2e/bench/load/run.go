package load

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// ErrMissing is returned, with the Result, when Config.Verify is set and a
// message the server acknowledged never arrived.
var ErrMissing = errors.New("messages missing")

// run is the shared state of one Run.
type run struct {
	cfg      Config
	client   *sqs.Client
	queueURL string
	start    time.Time
	tracker  *tracker
	errs     errorLog
	order    orderChecker

	nextSeq       atomic.Uint64
	sendFailed    atomic.Int64
	receipts      atomic.Int64
	emptyReceives atomic.Int64
	deleteFailed  atomic.Int64
	retries       atomic.Int64
	calls         *callCounter
}

// Run creates the queue, runs the workload and reports it. It stops when
// every acknowledged message has been received, when nothing arrives for
// DrainTimeout after the last send, or at Timeout / ctx's end — whichever
// comes first — and returns what it measured in every case. The error is
// for a run that could not start, a server that accepted nothing, or
// ErrMissing under Verify.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.validate(); err != nil {
		return Result{}, fmt.Errorf("load config: %w", err)
	}
	if cfg.Groups > 0 && !strings.HasSuffix(cfg.Queue, ".fifo") {
		cfg.Queue += ".fifo"
	}
	if cfg.RunID == 0 {
		cfg.RunID = NewRunID()
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient = NewHTTPClient(cfg.Producers + cfg.Consumers)
		defer httpClient.CloseIdleConnections()
	}
	runCtx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()

	r := &run{cfg: cfg}
	httpClient, r.calls = countCalls(httpClient)
	r.client = newSQSClient(cfg, httpClient, &r.retries)
	url, err := r.prepareQueue(runCtx)
	if err != nil {
		return Result{}, err
	}
	r.queueURL = url
	r.start = time.Now()
	r.tracker = newTracker(cfg.Messages, r.start)

	m := r.workload(runCtx)
	leftInQueue := r.cleanUp(ctx)
	res := r.summarize(m)
	res.LeftInQueue = leftInQueue
	if res.Sent == 0 && res.SendFailed > 0 && !res.CutAtDeadline {
		return res, fmt.Errorf("%s accepted none of %d messages: %s", cfg.Endpoint, res.SendFailed, firstOr(res.ErrorSamples, "no error recorded"))
	}
	if cfg.Verify && res.Missing > 0 {
		return res, fmt.Errorf("%w: %d of %d acknowledged messages never received from %s",
			ErrMissing, res.Missing, res.Sent, cfg.Endpoint)
	}
	return res, nil
}

func firstOr(samples []string, fallback string) string {
	if len(samples) == 0 {
		return fallback
	}
	return samples[0]
}

// NewRunID returns a random non-zero run id.
func NewRunID() uint32 {
	return rand.Uint32N(1<<32-1) + 1
}

// measured is what workload collected, before summarising.
type measured struct {
	elapsed  time.Duration
	drained  bool
	cut      bool
	sends    [][]time.Duration
	receives []consumerSamples
}

// workload runs producers and consumers to the end.
func (r *run) workload(runCtx context.Context) measured {
	if r.cfg.SDK {
		return r.sdkWorkload(runCtx)
	}
	stopConsumers, stop := context.WithCancel(runCtx)
	defer stop()

	sendSamples := make([][]time.Duration, r.cfg.Producers)
	var producers sync.WaitGroup
	for i := range r.cfg.Producers {
		producers.Go(func() { sendSamples[i] = r.produce(runCtx) })
	}
	recvSamples := make([]consumerSamples, r.cfg.Consumers)
	var consumers sync.WaitGroup
	for i := range r.cfg.Consumers {
		consumers.Go(func() { recvSamples[i] = r.consume(stopConsumers, runCtx) })
	}

	producers.Wait()
	drained := r.awaitDelivery(runCtx)
	stop()
	consumers.Wait()
	elapsed := time.Since(r.start)

	return measured{
		elapsed:  elapsed,
		drained:  drained,
		cut:      runCtx.Err() != nil && !r.complete(),
		sends:    sendSamples,
		receives: recvSamples,
	}
}

// pollInterval is how often the end of a run is checked for; rates use
// the recorded times of the last send and receipt, not this.
const pollInterval = 5 * time.Millisecond

// awaitDelivery waits, after the producers finish, until every
// acknowledged message arrived, or nothing new did for DrainTimeout, or
// ctx ends. It reports whether it gave up on the drain timeout.
func (r *run) awaitDelivery(ctx context.Context) bool {
	drain := r.cfg.drainTimeout()
	progress, lastProgress := r.tracker.firstReceipts.Load(), time.Now()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for !r.complete() {
		select {
		case <-ctx.Done():
			return false
		case now := <-tick.C:
			if p := r.tracker.firstReceipts.Load(); p != progress {
				progress, lastProgress = p, now
			} else if now.Sub(lastProgress) >= drain {
				return true
			}
		}
	}
	return false
}

// complete reports whether every id was claimed by a producer and every
// acknowledged one received.
func (r *run) complete() bool {
	return r.nextSeq.Load() >= uint64(r.cfg.Messages) && r.tracker.allAckedReceived()
}

func (r *run) summarize(m measured) Result {
	var send []time.Duration
	for _, s := range m.sends {
		send = append(send, s...)
	}
	var receive, del, endToEnd []time.Duration
	for _, s := range m.receives {
		receive = append(receive, s.receive...)
		del = append(del, s.delete...)
		endToEnd = append(endToEnd, s.endToEnd...)
	}
	t := r.tracker
	errCount, errSamples := r.errs.snapshot()
	violations, noSeq := r.order.counts()
	return Result{
		Endpoint:        r.cfg.Endpoint,
		Queue:           r.cfg.Queue,
		Elapsed:         m.elapsed,
		CutAtDeadline:   m.cut,
		Drained:         m.drained,
		Sent:            t.acked.Load(),
		SendFailed:      r.sendFailed.Load(),
		Delivered:       t.firstReceipts.Load(),
		Receipts:        r.receipts.Load(),
		Missing:         t.missing(),
		Duplicates:      t.duplicates.Load(),
		Foreign:         t.foreign.Load(),
		OrderViolations: violations,
		MissingSequence: noSeq,
		SentPerSec:      perSecond(t.acked.Load(), time.Duration(t.lastSendNanos.Load())),
		DeliveredPerSec: perSecond(t.firstReceipts.Load(), time.Duration(t.lastRecvNanos.Load())),
		SendCall:        summarize(send),
		ReceiveCall:     summarize(receive),
		DeleteCall:      summarize(del),
		EndToEnd:        summarize(endToEnd),
		EmptyReceives:   r.emptyReceives.Load(),
		DeleteFailed:    r.deleteFailed.Load(),
		Retries:         r.retries.Load(),
		Errors:          errCount,
		ErrorSamples:    errSamples,
		Calls:           r.calls.snapshot(),
	}
}
