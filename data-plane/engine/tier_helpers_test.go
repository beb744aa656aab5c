package engine_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/msgattr"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/blob"
	"github.com/sluice-mq/sluice/internal/blob/blobtest"
	blobfs "github.com/sluice-mq/sluice/internal/blob/fs"
	"github.com/sluice-mq/sluice/internal/blob/s3"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// blobDriver opens a fresh, empty blob store.
type blobDriver struct {
	name string
	open func(t *testing.T) blob.Store
}

func openFSBlobs(t *testing.T) blob.Store { return openFSBlobsB(t) }

func openFSBlobsB(t testing.TB) blob.Store {
	s, err := blobfs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// versityBlobs starts one versitygw for the test and opens a fresh bucket
// on it for every store.
func versityBlobs(t *testing.T) func(t *testing.T) blob.Store {
	srv := blobtest.StartVersityGW(t)
	return func(t *testing.T) blob.Store {
		s, err := s3.Open(t.Context(), s3.Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
			Bucket: srv.CreateBucket(t), Region: "us-east-1"})
		if err != nil {
			t.Fatalf("open s3: %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
}

// forEachTierDriver runs test on every kv driver with every blob driver:
// the fs driver, and S3 through a real versitygw process.
func forEachTierDriver(t *testing.T, test func(t *testing.T, store kv.Store, blobs blob.Store)) {
	drivers := []blobDriver{{"fs", openFSBlobs}, {"s3", versityBlobs(t)}}
	for _, bd := range drivers {
		t.Run(bd.name, func(t *testing.T) {
			kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
				test(t, store, bd.open(t))
			})
		})
	}
}

// tierOptions are small segments and short ages, for tests.
func tierOptions(blobs blob.Store) engine.TieringOptions {
	return engine.TieringOptions{Blobs: blobs, SegmentRecords: 64, Lease: 30 * time.Second, OrphanAge: time.Millisecond}
}

func newTierEngine(t testing.TB, store kv.Store, clock func() time.Time, opts engine.TieringOptions) *engine.Engine {
	t.Helper()
	return newTierEngineShards(t, store, clock, opts, 0)
}

// newTierEngineShards is newTierEngine with the given number of index
// shards (and so of segment streams): one makes segments predictable.
func newTierEngineShards(t testing.TB, store kv.Store, clock func() time.Time, opts engine.TieringOptions, shards int) *engine.Engine {
	t.Helper()
	e, err := engine.New(store, engine.Options{Clock: clock, ReceiptKey: receiptKey, PollInterval: 20 * time.Millisecond, Tiering: opts, Shards: shards})
	if err != nil {
		t.Fatal(err)
	}
	checkInvariantsAtEnd(t, store, e)
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// sentMessage is what a test sent, to compare what it receives.
type sentMessage struct {
	body, md5Body, md5Attrs string
	attrs                   msgattr.Attributes
}

// sendVaried sends n messages with bodies of varied sizes and content and
// attributes of every kind, and returns them by message id.
func sendVaried(t testing.TB, e *engine.Engine, r queues.Ref, n int, fifo bool) map[string]sentMessage {
	t.Helper()
	sent := make(map[string]sentMessage, n)
	for i := range n {
		body := fmt.Sprintf("message %d ", i)
		for j := range i % 37 {
			body += fmt.Sprintf("%x", j*i) // compressible and varied
		}
		in := engine.SendInput{Body: body, Attributes: msgattr.Attributes{
			"n":   {DataType: "Number", StringValue: fmt.Sprint(i)},
			"bin": {DataType: "Binary", BinaryValue: []byte{byte(i), 0, 0xff}},
		}}
		if i%3 == 0 {
			in.Attributes["s.custom"] = msgattr.Value{DataType: "String.x", StringValue: "ünïcode ✓"}
		}
		in.SenderID = "AIDAEXAMPLESENDER"
		if i%5 == 0 {
			in.SystemAttributes = msgattr.Attributes{"AWSTraceHeader": {DataType: "String", StringValue: fmt.Sprintf("Root=1-%d", i)}}
		}
		if fifo {
			group, dedup := fmt.Sprintf("g%d", i%4), fmt.Sprintf("d%d", i)
			in.MessageGroupID, in.DeduplicationID = &group, &dedup
		}
		res, err := e.SendMessage(ctx, r, in)
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		sent[res.MessageID] = sentMessage{body: body, md5Body: res.MD5OfMessageBody, md5Attrs: res.MD5OfMessageAttributes, attrs: in.Attributes}
	}
	return sent
}

// checkMessage compares a received message with what was sent.
func checkMessage(t testing.TB, m engine.Message, sent map[string]sentMessage) {
	t.Helper()
	want, ok := sent[m.MessageID]
	if !ok {
		t.Fatalf("received unknown message %s", m.MessageID)
	}
	if m.Body != want.body || m.MD5OfBody != want.md5Body || m.MD5OfMessageAttributes != want.md5Attrs {
		t.Fatalf("message %s: body %q md5 %s/%s, want %q md5 %s/%s", m.MessageID, m.Body, m.MD5OfBody, m.MD5OfMessageAttributes, want.body, want.md5Body, want.md5Attrs)
	}
	if len(m.MessageAttributes) != len(want.attrs) {
		t.Fatalf("message %s: %d attributes, want %d", m.MessageID, len(m.MessageAttributes), len(want.attrs))
	}
	for name, v := range want.attrs {
		got := m.MessageAttributes[name]
		if got.DataType != v.DataType || got.StringValue != v.StringValue || string(got.BinaryValue) != string(v.BinaryValue) {
			t.Fatalf("message %s attribute %s: %+v, want %+v", m.MessageID, name, got, v)
		}
	}
}

// drain receives and deletes until the queue is empty, checking every
// message, and returns how many times each id came.
func drainChecked(t testing.TB, e *engine.Engine, r queues.Ref, sent map[string]sentMessage) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for empty := 0; empty < 3; {
		msgs := receive(t, e, r, 10)
		if len(msgs) == 0 {
			empty++
			continue
		}
		empty = 0
		handles := make([]string, len(msgs))
		for i, m := range msgs {
			checkMessage(t, m, sent)
			seen[m.MessageID]++
			handles[i] = m.ReceiptHandle
		}
		if _, err := e.DeleteMessageBatch(ctx, r, handles); err != nil {
			t.Fatal(err)
		}
	}
	return seen
}

func checkExactlyOnce(t testing.TB, seen map[string]int, sent map[string]sentMessage) {
	t.Helper()
	for id := range sent {
		if seen[id] != 1 {
			t.Fatalf("message %s received %d times, want once (%d of %d distinct received)", id, seen[id], len(seen), len(sent))
		}
	}
}

// listSegments lists every segment object.
func listSegments(t testing.TB, blobs blob.Store) []string {
	t.Helper()
	var keys []string
	for after := ""; ; {
		page, err := blobs.List(ctx, blob.ListOptions{Prefix: "segments/", StartAfter: after})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Objects {
			keys = append(keys, o.Key)
		}
		if page.Next == "" {
			return keys
		}
		after = page.Next
	}
}

func storage(t testing.TB, e *engine.Engine, r queues.Ref) engine.QueueStorage {
	t.Helper()
	if err := e.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := e.Stats().QueueStorage(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func recordBytes(t testing.TB, e *engine.Engine, r queues.Ref) engine.RecordBytes {
	t.Helper()
	rb, err := e.RecordBytes(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	return rb
}

func mustTier(t testing.TB, e *engine.Engine) {
	t.Helper()
	if err := e.Tier(ctx); err != nil {
		t.Fatalf("tier: %v", err)
	}
}

// flakyBlobs is a blob store that can be switched off, as an unreachable
// S3 would be.
type flakyBlobs struct {
	blob.Store
	down    atomic.Bool
	uploads atomic.Int64
}

var errDown = errors.New("blob store unreachable (test)")

func (f *flakyBlobs) Put(ctx context.Context, key string, data []byte) error {
	if f.down.Load() {
		return errDown
	}
	f.uploads.Add(1)
	return f.Store.Put(ctx, key, data)
}

func (f *flakyBlobs) Get(ctx context.Context, key string) ([]byte, error) {
	if f.down.Load() {
		return nil, errDown
	}
	return f.Store.Get(ctx, key)
}

func (f *flakyBlobs) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	if f.down.Load() {
		return nil, errDown
	}
	return f.Store.GetRange(ctx, key, off, n)
}

func (f *flakyBlobs) List(ctx context.Context, opts blob.ListOptions) (blob.ListPage, error) {
	if f.down.Load() {
		return blob.ListPage{}, errDown
	}
	return f.Store.List(ctx, opts)
}

func (f *flakyBlobs) Delete(ctx context.Context, key string) error {
	if f.down.Load() {
		return errDown
	}
	return f.Store.Delete(ctx, key)
}

// handOver flushes e's counts and lets its tiering leases lapse, as when
// another node takes over from it.
func handOver(t testing.TB, e *engine.Engine, clock *fakeClock) {
	t.Helper()
	if err := e.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(31 * time.Second)
}

// sendBacklogBodies sends backlogBody(from) to backlogBody(to-1), ten to a
// batch.
func sendBacklogBodies(tb testing.TB, e *engine.Engine, r queues.Ref, from, to int) {
	tb.Helper()
	for i := from; i < to; i += 10 {
		batch := make([]engine.SendInput, 0, 10)
		for j := i; j < min(i+10, to); j++ {
			batch = append(batch, engine.SendInput{Body: backlogBody(j)})
		}
		if _, err := e.SendMessageBatch(ctx, r, batch); err != nil {
			tb.Fatal(err)
		}
	}
}

// onlySegment returns the key and bytes of the one segment object in
// blobs, failing tb if there is not exactly one.
func onlySegment(tb testing.TB, blobs blob.Store) (string, []byte) {
	tb.Helper()
	keys := listSegments(tb, blobs)
	if len(keys) != 1 {
		tb.Fatalf("%d segments, want 1", len(keys))
	}
	data, err := blobs.Get(ctx, keys[0])
	if err != nil {
		tb.Fatal(err)
	}
	return keys[0], data
}
