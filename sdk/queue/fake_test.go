package queue

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// fakeSQS is a small in-memory SQS behind httptest, speaking the JSON 1.0
// protocol the real client uses, with hooks to script failures and a log
// of what it was asked.
type fakeSQS struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	sendCalls [][]fakeEntry            // entries of each SendMessageBatch
	failSend  func(e fakeEntry) string // an error code fails the entry
	failCall  func(action string) int  // an HTTP status fails the whole call
	sendHold  chan struct{}            // if set, SendMessageBatch waits on it
	msgs      []*fakeMsg
	nextID    int
	deleted   map[string]time.Time // message id -> when
	lateCMV   []string             // visibility changes after a delete: bugs
	cmvCalls  [][]fakeCMV
	receives  int
}

type fakeEntry struct {
	Id                      string
	MessageBody             string
	MessageGroupId          string
	MessageDeduplicationId  string
	DelaySeconds            int
	MessageAttributes       map[string]fakeAttr
	MessageSystemAttributes map[string]fakeAttr
}

type fakeAttr struct {
	DataType    string
	StringValue string `json:",omitempty"`
	BinaryValue []byte `json:",omitempty"`
}

type fakeMsg struct {
	id, body, group, handle string
	attrs                   map[string]fakeAttr
	trace                   string
	visibleAt               time.Time
	receives                int
}

type fakeCMV struct {
	Id, ReceiptHandle string
	VisibilityTimeout int
}

func newFakeSQS(t *testing.T) *fakeSQS {
	f := &fakeSQS{t: t, deleted: map[string]time.Time{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// client is a real SQS client aimed at the fake, without retries (so a
// failed call fails) or MD5 checks (the fake does not compute them all).
func (f *fakeSQS) client() *sqs.Client {
	return sqs.New(sqs.Options{
		Region:                           "us-east-1",
		BaseEndpoint:                     aws.String(f.srv.URL),
		Credentials:                      credentials.NewStaticCredentialsProvider("k", "s", ""),
		Retryer:                          aws.NopRetryer{},
		DisableMessageChecksumValidation: true,
	})
}

func (f *fakeSQS) url(name string) string { return f.srv.URL + "/000000000000/" + name }

func (f *fakeSQS) serve(w http.ResponseWriter, r *http.Request) {
	action := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
	if f.failCall != nil {
		if status := f.failCall(action); status != 0 {
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.WriteHeader(status)
			fmt.Fprint(w, `{"__type":"com.amazonaws.sqs#InternalError","message":"scripted"}`)
			return
		}
	}
	var in struct {
		Entries             json.RawMessage
		MaxNumberOfMessages int
		WaitTimeSeconds     int
		VisibilityTimeout   int
	}
	dec := json.NewDecoder(r.Body)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	_ = json.Unmarshal(raw, &in)
	var out any
	switch action {
	case "SendMessageBatch":
		var entries []fakeEntry
		_ = json.Unmarshal(in.Entries, &entries)
		out = f.sendBatch(entries)
	case "ReceiveMessage":
		out = f.receive(r.Context(), in.MaxNumberOfMessages, in.WaitTimeSeconds, in.VisibilityTimeout)
	case "DeleteMessageBatch":
		var entries []struct{ Id, ReceiptHandle string }
		_ = json.Unmarshal(in.Entries, &entries)
		out = f.deleteBatch(entries)
	case "ChangeMessageVisibilityBatch":
		var entries []fakeCMV
		_ = json.Unmarshal(in.Entries, &entries)
		out = f.changeVisibility(entries)
	default:
		http.Error(w, "unsupported "+action, 400)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(out)
}

type batchResult struct {
	Successful []map[string]any
	Failed     []map[string]any
}

func (f *fakeSQS) sendBatch(entries []fakeEntry) batchResult {
	f.mu.Lock()
	hold := f.sendHold
	f.sendCalls = append(f.sendCalls, entries)
	f.mu.Unlock()
	if hold != nil {
		<-hold
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	res := batchResult{Successful: []map[string]any{}, Failed: []map[string]any{}}
	for _, e := range entries {
		if f.failSend != nil {
			if code := f.failSend(e); code != "" {
				res.Failed = append(res.Failed, map[string]any{"Id": e.Id, "Code": code, "Message": "scripted failure", "SenderFault": true})
				continue
			}
		}
		f.nextID++
		m := &fakeMsg{id: fmt.Sprintf("m%d", f.nextID), body: e.MessageBody, group: e.MessageGroupId, attrs: e.MessageAttributes,
			visibleAt: time.Now().Add(time.Duration(e.DelaySeconds) * time.Second)}
		if th, ok := e.MessageSystemAttributes[traceHeaderName]; ok {
			m.trace = th.StringValue
		}
		f.msgs = append(f.msgs, m)
		sum := md5.Sum([]byte(e.MessageBody))
		res.Successful = append(res.Successful, map[string]any{"Id": e.Id, "MessageId": m.id, "MD5OfMessageBody": hex.EncodeToString(sum[:]),
			"SequenceNumber": fmt.Sprintf("%020d", f.nextID)})
	}
	return res
}

// add stores messages directly, for consumer tests.
func (f *fakeSQS) add(group string, bodies ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range bodies {
		f.nextID++
		f.msgs = append(f.msgs, &fakeMsg{id: fmt.Sprintf("m%d", f.nextID), body: b, group: group})
	}
}

func (f *fakeSQS) receive(ctx context.Context, max, wait, visibility int) map[string]any {
	deadline := time.Now().Add(time.Duration(wait) * time.Second)
	for {
		if got := f.claim(max, visibility); len(got) > 0 || time.Now().After(deadline) {
			return map[string]any{"Messages": got}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// claim hands out visible messages in order; on a FIFO queue (group set)
// a group with a message in flight is skipped.
func (f *fakeSQS) claim(max, visibility int) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.receives++
	now := time.Now()
	busy := map[string]bool{}
	for _, m := range f.msgs {
		if m.group != "" && now.Before(m.visibleAt) && m.receives > 0 {
			busy[m.group] = true
		}
	}
	var got []map[string]any
	for _, m := range f.msgs {
		if len(got) == max {
			break
		}
		if now.Before(m.visibleAt) || busy[m.group] {
			continue
		}
		m.receives++
		m.visibleAt = now.Add(time.Duration(visibility) * time.Second)
		m.handle = fmt.Sprintf("%s#%d", m.id, m.receives)
		attrs := map[string]string{"ApproximateReceiveCount": fmt.Sprint(m.receives)}
		if m.group != "" {
			attrs["MessageGroupId"] = m.group
		}
		if m.trace != "" {
			attrs[traceHeaderName] = m.trace
		}
		got = append(got, map[string]any{"MessageId": m.id, "ReceiptHandle": m.handle, "Body": m.body, "Attributes": attrs, "MessageAttributes": m.attrs})
	}
	return got
}

func (f *fakeSQS) find(handle string) *fakeMsg {
	for _, m := range f.msgs {
		if m.handle == handle {
			return m
		}
	}
	return nil
}

func (f *fakeSQS) deleteBatch(entries []struct{ Id, ReceiptHandle string }) batchResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	res := batchResult{Successful: []map[string]any{}, Failed: []map[string]any{}}
	for _, e := range entries {
		m := f.find(e.ReceiptHandle)
		if m == nil {
			res.Failed = append(res.Failed, map[string]any{"Id": e.Id, "Code": "ReceiptHandleIsInvalid", "Message": "gone", "SenderFault": true})
			continue
		}
		f.deleted[m.id] = time.Now()
		f.msgs = remove(f.msgs, m)
		res.Successful = append(res.Successful, map[string]any{"Id": e.Id})
	}
	return res
}

func (f *fakeSQS) changeVisibility(entries []fakeCMV) batchResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cmvCalls = append(f.cmvCalls, entries)
	res := batchResult{Successful: []map[string]any{}, Failed: []map[string]any{}}
	for _, e := range entries {
		m := f.find(e.ReceiptHandle)
		if m == nil {
			id, _, _ := strings.Cut(e.ReceiptHandle, "#")
			if _, ok := f.deleted[id]; ok {
				f.lateCMV = append(f.lateCMV, id)
			}
			res.Failed = append(res.Failed, map[string]any{"Id": e.Id, "Code": "ReceiptHandleIsInvalid", "Message": "gone", "SenderFault": true})
			continue
		}
		m.visibleAt = time.Now().Add(time.Duration(e.VisibilityTimeout) * time.Second)
		res.Successful = append(res.Successful, map[string]any{"Id": e.Id})
	}
	return res
}

func remove(ms []*fakeMsg, m *fakeMsg) []*fakeMsg {
	for i, x := range ms {
		if x == m {
			return append(ms[:i], ms[i+1:]...)
		}
	}
	return ms
}

// calls returns the entries of each SendMessageBatch so far.
func (f *fakeSQS) calls() [][]fakeEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]fakeEntry(nil), f.sendCalls...)
}
