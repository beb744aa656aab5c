package chaos

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/e2e/chaos/history"
	"github.com/sluice-mq/sluice/e2e/internal/slowproxy"
	"github.com/sluice-mq/sluice/e2e/internal/versitygw"
)

// S3DelayEnv sets how long TestBlobStoreSlow holds every S3 request (a Go
// duration, 0–30s; default 2s).
const S3DelayEnv = "SLUICE_CHAOS_S3_DELAY"

// TestBlobStoreSlow runs the load of TestBlobStoreFaults with versitygw
// behind a proxy that, after 3 s, holds every request (uploads, reads,
// lists, deletes) for S3DelayEnv: tiering and cold reads go on against a
// slow S3. Sends and receives must not fail meanwhile (a receive waits at
// most 2.5 s for cold reads, then answers with what it has). Then the
// consumers stop, the producers' tail is tiered, and a drain, S3 still
// slow, must deliver every message — the cold ones as their segments
// reach the node's cache. (Should it not, a last drain with S3 fast tells
// messages only late from lost ones.)
func TestBlobStoreSlow(t *testing.T) {
	delay := 2 * time.Second
	if s := os.Getenv(S3DelayEnv); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 || d > 30*time.Second {
			t.Fatalf("%s=%q: want a duration of 0–30s", S3DelayEnv, s)
		}
		delay = d
	}
	slowFor := 4 * time.Second
	if testing.Short() {
		slowFor = 2 * time.Second
	}
	gw := versitygw.StartProcess(t)
	const bucket = "sluice-chaos"
	gw.CreateBucket(t, bucket)
	proxy := slowproxy.Start(t, gw.Endpoint)
	sc := startBlobScenario(t, gw, bucket, proxy.Endpoint, blobProducerPace(t))

	time.Sleep(3 * time.Second)
	from := sc.rec.Now()
	proxy.SetDelay(delay)
	time.Sleep(slowFor)
	// The producers go on a moment without consumers, and their tail is
	// tiered through the slow S3: the drain then reads cold messages.
	sc.stopConsumers()
	time.Sleep(time.Second)
	sc.stopProducers()
	during := outageEffects(sc.rec.Ops(), from, sc.rec.Now())
	t.Logf("with every S3 request held %v: %s", delay, during)
	if during.sendErrors > 0 || during.receiveErrors > 0 || during.sendsTimedOut*100 > during.sends || during.deliveries == 0 {
		t.Errorf("the slow S3 reached sends or receives: %s", during)
	}
	waitTiered(t, sc.p)
	time.Sleep(maxVisibility + 500*time.Millisecond) // abandoned receipts lapse
	heldBeforeDrain := proxy.Delayed()

	lazy := func(q string) bool { return !strings.HasSuffix(q, ".fifo") }
	checker := history.Checker{Slack: history.DefaultSlack, LazyClaims: lazy}
	dw := &worker{name: "drain", c: sc.newClient(), rec: sc.rec, rnd: rand.New(rand.NewPCG(7, 9))}
	start := time.Now()
	drain(t, dw, sc.urls)
	slowDrain := checker.Check(sc.rec.Ops())
	held := proxy.Delayed()
	t.Logf("after a drain with S3 still slow (%v, %d reads held): %s", time.Since(start).Round(time.Second),
		held["GET"]+held["HEAD"]-heldBeforeDrain["GET"]-heldBeforeDrain["HEAD"], slowDrain.Summary())
	if lost := slowDrain.Counts[history.Lost]; lost > 0 {
		t.Errorf("%d acknowledged messages undelivered after a drain with S3 slow: cold messages must come, late", lost)
	}
	if held["GET"]+held["HEAD"] == 0 {
		t.Errorf("no S3 read was held: the scenario judged no slow cold read")
	}
	proxy.SetDelay(0)
	sc.fault(from, fmt.Sprintf("every S3 request held %v (%v)", delay, held))
	if !slowDrain.OK() {
		drain(t, dw, sc.urls) // tell late messages from lost ones
	}

	ops := sc.rec.Ops()
	if path := os.Getenv(HistoryEnv); path != "" {
		writeHistory(t, path, ops)
	}
	r := checker.Check(ops)
	t.Logf("S3 %v slow for %v of load and a drain, requests held %v; in all: %s", delay, slowFor, held, r.Summary())
	if r.Deliveries == 0 {
		t.Errorf("the load did too little to judge")
	}
	reportAnomalies(t, r, ops)
}
