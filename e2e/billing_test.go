package e2e

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
	"github.com/sluice-mq/sluice/sdk/api"
)

// usageKey is one metered quantity: a meter and its queue type and action
// class where they apply.
type usageKey struct{ meter, queueType, action string }

// billedMeters are the meters a scripted workload sets exactly; the
// sampled ones (storage, queue-hours) depend on when samples fall.
var billedMeters = map[string]bool{
	"requests": true, "throttled_requests": true, "unauthenticated_requests": true,
	"ingress_bytes": true, "egress_bytes": true,
}

// readUsage sums the account's usage this month, by action class, over
// every bucket, for the meters in billedMeters.
func readUsage(t *testing.T, p *sluiceproc.Process, account string) map[usageKey]int64 {
	t.Helper()
	var u api.Usage
	rest(t, p, p.OperatorToken, "GET", "/v1/tenants/"+account+"/usage?groupBy=action", "", 200, &u)
	got := map[usageKey]int64{}
	for _, b := range u.Buckets {
		for _, q := range b.Quantities {
			if billedMeters[q.Meter] && q.Quantity != 0 {
				got[usageKey{q.Meter, q.Dimensions["queueType"], q.Dimensions["action"]}] += q.Quantity
			}
		}
	}
	return got
}

// waitUsage polls the usage route for up to 10 s until it equals want.
func waitUsage(t *testing.T, p *sluiceproc.Process, account string, want map[usageKey]int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := readUsage(t, p, account)
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
		if time.Now().After(deadline) {
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%+v = %d, want %d", k, got[k], v)
				}
			}
			for k, v := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("unexpected %+v = %d", k, v)
				}
			}
			t.Fatal("usage not as expected within 10 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// units is SQS's rule: max(1, ceil(payload / 64 KiB)).
func units(payload int) int64 { return max(1, int64((payload+65535)/65536)) }

// roundDiv is n × price / div rounded to the nearest integer, halves up.
func roundDiv(n, price int64, div *big.Int) int64 {
	num := new(big.Int).Mul(big.NewInt(n), big.NewInt(price))
	num.Mul(num, big.NewInt(2)).Add(num, div)
	return num.Div(num, new(big.Int).Mul(div, big.NewInt(2))).Int64()
}

// TestBillingEndToEnd: a scripted workload on the dev tenant through
// aws-sdk-go-v2 is metered exactly (request units per queue type and action
// class, bytes in and out, throttled and unauthenticated calls apart), read
// through the usage route within 10 s, and rated on this month's draft
// invoice: free tier first, then with a price plan of no free units, to the
// micro; the invoice also comes as CSV.
func TestBillingEndToEnd(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	ctx := context.Background()
	c := sqsClient(p, p.SecretKey)
	want := map[usageKey]int64{}
	req := func(qt, action string, n int64) { want[usageKey{"requests", qt, action}] += n }
	bytesIn := func(n int) { want[usageKey{"ingress_bytes", "", ""}] += int64(n) }
	bytesOut := func(n int) { want[usageKey{"egress_bytes", "", ""}] += int64(n) }

	mk := func(name string, attrs map[string]string) *string {
		out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
		if err != nil {
			t.Fatal(err)
		}
		return out.QueueUrl
	}
	std, empty := mk("std", nil), mk("empty", nil)
	fifo := mk("f.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	req("standard", "admin", 2)
	req("fifo", "admin", 1)

	sent := 0
	for _, n := range []int{1, 64 << 10, 64<<10 + 1, 1 << 20} {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: std, MessageBody: aws.String(strings.Repeat("x", n))}); err != nil {
			t.Fatalf("send %d bytes: %v", n, err)
		}
		req("standard", "send", units(n)) // 1, 1, 2, 16
		bytesIn(n)
		sent++
	}
	var entries []types.SendMessageBatchRequestEntry
	for _, id := range []string{"a", "b", "c"} {
		entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(strings.Repeat(id, 30000))})
	}
	if out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: std, Entries: entries}); err != nil || len(out.Failed) != 0 {
		t.Fatal(out, err)
	}
	req("standard", "send", units(90000)) // one call, its whole payload: 2
	bytesIn(90000)
	sent += 3

	if out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: empty, WaitTimeSeconds: 0}); err != nil || len(out.Messages) != 0 {
		t.Fatal(out, err)
	}
	req("standard", "receive", 1)

	// Receive everything sent, each call metered on what it returned.
	var handles []*string
	for calls := 0; len(handles) < sent; calls++ {
		if calls == 50 {
			t.Fatalf("received %d of %d messages in 50 calls", len(handles), sent)
		}
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: std, MaxNumberOfMessages: 10, VisibilityTimeout: 600, WaitTimeSeconds: 0})
		if err != nil {
			t.Fatal(err)
		}
		payload := 0
		for _, m := range out.Messages {
			payload += len(aws.ToString(m.Body))
			handles = append(handles, m.ReceiptHandle)
		}
		req("standard", "receive", units(payload))
		bytesOut(payload)
	}
	for _, h := range handles {
		if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: std, ReceiptHandle: h}); err != nil {
			t.Fatal(err)
		}
		req("standard", "delete", 1)
	}

	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: fifo, MessageBody: aws.String(strings.Repeat("f", 70000)), MessageGroupId: aws.String("g")}); err != nil {
		t.Fatal(err)
	}
	req("fifo", "send", 2)
	bytesIn(70000)
	var fifoHandle *string
	for calls := 0; fifoHandle == nil; calls++ {
		if calls == 20 {
			t.Fatal("FIFO message not received")
		}
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: fifo, WaitTimeSeconds: 0})
		if err != nil {
			t.Fatal(err)
		}
		payload := 0
		for _, m := range out.Messages {
			payload += len(aws.ToString(m.Body))
			fifoHandle = m.ReceiptHandle
		}
		req("fifo", "receive", units(payload))
		bytesOut(payload)
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: fifo, ReceiptHandle: fifoHandle}); err != nil {
		t.Fatal(err)
	}
	req("fifo", "delete", 1)

	// A bad signature on the dev tenant's key: unauthenticated, not billed.
	_, err := sqsClient(p, "wrong"+p.SecretKey).ListQueues(ctx, &sqs.ListQueuesInput{})
	wantCode(t, err, "SignatureDoesNotMatch")
	want[usageKey{"unauthenticated_requests", "", ""}]++

	// Throttled: one send a thousand seconds, burst 1.
	rest(t, p, p.OperatorToken, "PATCH", "/v1/tenants/"+p.AccountID, `{"quotas":{"sendPerSecond":0.001}}`, 200, nil)
	throttled := false
	// (Quota changes reach the data plane within the key cache's TTL.)
	for i := 0; i < 40 && !throttled; i++ {
		if i > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: std, MessageBody: aws.String("t")})
		if err == nil {
			req("standard", "send", 1)
			bytesIn(1)
			continue
		}
		wantCode(t, err, "RequestThrottled")
		want[usageKey{"throttled_requests", "standard", ""}]++
		throttled = true
	}
	if !throttled {
		t.Fatal("no send throttled at 0.001 sends/s within 4 s")
	}
	waitUsage(t, p, p.AccountID, want)

	// This month's draft invoice: the default plan's million free units
	// cover the requests; egress is billed per GB.
	stdUnits, fifoUnits := int64(0), int64(0)
	for k, v := range want {
		if k.meter == "requests" && k.queueType == "standard" {
			stdUnits += v
		} else if k.meter == "requests" {
			fifoUnits += v
		}
	}
	egress := want[usageKey{"egress_bytes", "", ""}]
	gb := new(big.Int).Lsh(big.NewInt(1), 30)
	var tenant api.Tenant
	rest(t, p, p.OperatorToken, "GET", "/v1/tenants/"+p.AccountID, "", 200, &tenant)
	draft := func() api.Invoice {
		t.Helper()
		var list struct{ Invoices []api.Invoice }
		rest(t, p, p.OperatorToken, "GET", "/v1/tenants/"+p.AccountID+"/invoices", "", 200, &list)
		now := time.Now().UTC()
		month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		for _, inv := range list.Invoices {
			if inv.PeriodStart.Equal(month) {
				if inv.Status != api.InvoiceStatus("draft") {
					t.Fatalf("this month's invoice is %s", inv.Status)
				}
				return inv
			}
		}
		t.Fatalf("no invoice for %s in %+v", month, list.Invoices)
		return api.Invoice{}
	}
	check := func(inv api.Invoice, free, stdPrice, fifoPrice int64) {
		t.Helper()
		var total int64
		hours := int64(inv.PeriodEnd.Sub(inv.PeriodStart) / time.Hour)
		for _, l := range inv.Lines {
			var wantQty, wantFree, wantAmount int64 = l.Quantity, 0, 0
			switch {
			case l.Meter == "requests" && l.QueueType == "standard":
				wantQty, wantFree = stdUnits, min(stdUnits, free)
				wantAmount = roundDiv(stdUnits-wantFree, stdPrice, big.NewInt(1_000_000))
			case l.Meter == "requests" && l.QueueType == "fifo":
				wantQty, wantFree = fifoUnits, min(fifoUnits, free-min(stdUnits, free))
				wantAmount = roundDiv(fifoUnits-wantFree, fifoPrice, big.NewInt(1_000_000))
			case l.Meter == "egress_bytes":
				wantQty, wantAmount = egress, roundDiv(egress, 90_000, gb)
			case l.Meter == "storage_byte_hours" && l.Tier == "hot":
				wantAmount = roundDiv(l.Quantity, 100_000, new(big.Int).Mul(gb, big.NewInt(hours)))
			case l.Meter == "storage_byte_hours" && l.Tier == "cold":
				wantAmount = roundDiv(l.Quantity, 23_000, new(big.Int).Mul(gb, big.NewInt(hours)))
			case l.Meter == "ingress_bytes":
				wantQty = want[usageKey{"ingress_bytes", "", ""}]
			case l.Meter == "throttled_requests":
				wantQty = 1
			case l.Meter == "unauthenticated_requests":
				wantQty = 1
			}
			if l.Quantity != wantQty || l.FreeUnits != wantFree || l.AmountMicros != wantAmount {
				t.Errorf("line %s %s%s: quantity %d free %d amount %d, want %d, %d, %d",
					l.Meter, l.QueueType, l.Tier, l.Quantity, l.FreeUnits, l.AmountMicros, wantQty, wantFree, wantAmount)
			}
			total += wantAmount
		}
		if inv.TotalMicros != total || inv.SubtotalMicros != total {
			t.Errorf("total %d, subtotal %d, want %d", inv.TotalMicros, inv.SubtotalMicros, total)
		}
	}
	inv := draft()
	if inv.PlanVersion != 0 || inv.Plan != string(tenant.Plan) {
		t.Fatalf("draft rated with %s v%d, want the built-in %s v0", inv.Plan, inv.PlanVersion, tenant.Plan)
	}
	check(inv, 1_000_000, 400_000, 500_000)
	for _, l := range inv.Lines {
		if l.Meter == "requests" && l.AmountMicros != 0 {
			t.Errorf("requests within the free tier cost %d", l.AmountMicros)
		}
	}

	// No free units: every request unit is billed.
	rest(t, p, p.OperatorToken, "PUT", "/v1/plans/"+string(tenant.Plan), `{"freeRequestUnits":0}`, 200, nil)
	inv = draft()
	if inv.PlanVersion != 1 {
		t.Fatalf("draft rated with v%d, want v1", inv.PlanVersion)
	}
	check(inv, 0, 400_000, 500_000)
	var reqMicros int64
	for _, l := range inv.Lines {
		if l.Meter == "requests" {
			reqMicros += l.AmountMicros
		}
	}
	if w := roundDiv(stdUnits, 400_000, big.NewInt(1e6)) + roundDiv(fifoUnits, 500_000, big.NewInt(1e6)); reqMicros != w || w == 0 {
		t.Fatalf("requests cost %d micros, want %d (units %d standard, %d FIFO)", reqMicros, w, stdUnits, fifoUnits)
	}

	// The same invoice as CSV: a header, then a row per line.
	r, _ := http.NewRequest("GET", p.Endpoint+"/v1/tenants/"+p.AccountID+"/invoices/"+inv.ID, nil)
	r.Header.Set("Authorization", "Bearer "+p.OperatorToken)
	r.Header.Set("Accept", "text/csv")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %s, %v: %s", resp.StatusCode, resp.Header.Get("Content-Type"), err, body)
	}
	if len(rows) != 1+len(inv.Lines) || rows[0][0] != "invoice_id" {
		t.Fatalf("CSV has %d rows for %d lines: %s", len(rows), len(inv.Lines), body)
	}
	amountCol := -1
	for i, h := range rows[0] {
		if h == "amount_micros" {
			amountCol = i
		}
	}
	var csvRequests int64
	for _, row := range rows[1:] {
		if row[6] == "requests" {
			var a int64
			fmt.Sscan(row[amountCol], &a)
			csvRequests += a
		}
	}
	if amountCol < 0 || csvRequests != reqMicros {
		t.Fatalf("CSV requests amount %d, want %d: %s", csvRequests, reqMicros, body)
	}
}

// sendUnits is the dev tenant's metered standard send units this month.
func sendUnits(t *testing.T, p *sluiceproc.Process) int64 {
	return readUsage(t, p, p.AccountID)[usageKey{"requests", "standard", "send"}]
}

// TestBillingCrashBound: kill -9 under load loses at most the unflushed
// interval (the meter flushes every 2 s) and never meters more than the
// client saw succeed, plus the calls in flight at the kill, whose outcome
// it never learned; a graceful stop loses nothing.
func TestBillingCrashBound(t *testing.T) {
	data := t.TempDir()
	p := sluiceproc.StartDev(t, "--data", data)
	ctx := context.Background()
	c := sqsClient(p, p.SecretKey)
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("load")})
	if err != nil {
		t.Fatal(err)
	}
	// Bounded load: 4 senders of 1-byte messages, killed at 6 s. Each
	// sender keeps the completion times of its successful sends, so the
	// bound is what completed in the last flush interval (plus 1 s for a
	// flush under way), not an average rate.
	const senders, loadFor, flushWindow = 4, 6 * time.Second, 3 * time.Second
	done := make([][]time.Time, senders)
	var unknown atomic.Int64
	var killed atomic.Bool
	var wg sync.WaitGroup
	for i := range senders {
		wg.Go(func() {
			for !killed.Load() {
				_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("x")})
				switch {
				case err == nil:
					done[i] = append(done[i], time.Now())
				case killed.Load():
					unknown.Add(1) // failed by the kill: sent or not, the client cannot tell
					return
				default:
					t.Errorf("send before the kill: %v", err)
					return
				}
			}
		})
	}
	time.Sleep(loadFor)
	killAt := time.Now()
	killed.Store(true)
	p.Kill()
	wg.Wait()
	var client, recent int64
	for _, ts := range done {
		for _, at := range ts {
			client++
			if at.After(killAt.Add(-flushWindow)) {
				recent++
			}
		}
	}

	p = sluiceproc.StartDev(t, "--data", data)
	metered := sendUnits(t, p)
	t.Logf("client %d sends (%d in the last %v before the kill, %d of unknown outcome); metered %d",
		client, recent, flushWindow, unknown.Load(), metered)
	if metered > client+unknown.Load() || metered < client-recent {
		t.Fatalf("metered %d send units after kill -9, want between %d and %d", metered, client-recent, client+unknown.Load())
	}

	// Graceful stop: every call made since is metered.
	c = sqsClient(p, p.SecretKey)
	const after = 25
	for range after {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("y")}); err != nil {
			t.Fatal(err)
		}
	}
	if code, err := p.Stop(15 * time.Second); err != nil || code != 0 {
		t.Fatalf("graceful stop: exit %d, %v", code, err)
	}
	p = sluiceproc.StartDev(t, "--data", data)
	if got := sendUnits(t, p); got != metered+after {
		t.Fatalf("after a graceful stop %d send units, want %d + %d", got, metered, after)
	}
}
