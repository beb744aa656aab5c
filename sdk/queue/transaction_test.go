package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// txnServer plays the two extension actions and records what reached it.
type txnServer struct {
	mu        sync.Mutex
	calls     []string // action: decision
	failEnd   bool
	unsigned  int
	halfBody  map[string]any
	endBodies []map[string]string
}

func (s *txnServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		s.unsigned++
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	switch action := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS."); action {
	case "SendHalfMessage":
		_ = json.Unmarshal(raw, &s.halfBody)
		s.calls = append(s.calls, action)
		fmt.Fprint(w, `{"MessageId":"m-1","MD5OfMessageBody":"x","TransactionId":"tx-1"}`)
	case "EndTransaction":
		var in map[string]string
		_ = json.Unmarshal(raw, &in)
		s.endBodies = append(s.endBodies, in)
		s.calls = append(s.calls, action+":"+in["Decision"])
		if s.failEnd {
			w.Header().Set("x-amzn-query-error", "TransactionAlreadyRolledBack;Sender")
			w.WriteHeader(400)
			fmt.Fprint(w, `{"__type":"com.amazonaws.sqs#TransactionAlreadyRolledBack","message":"rolled back"}`)
			return
		}
		fmt.Fprint(w, `{}`)
	default:
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"__type":"com.amazonaws.sqs#UnknownOperationException","message":"%s"}`, action)
	}
}

func newTxnTest(t *testing.T) (*txnServer, *Producer, string) {
	s := &txnServer{}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""), Retryer: aws.NopRetryer{},
		DisableMessageChecksumValidation: true})
	url := srv.URL + "/000000000000/q"
	p, err := NewProducer(c, url, ProducerOptions{NoTracePropagation: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	return s, p, url
}

func TestSendInTransactionCommits(t *testing.T) {
	s, p, url := newTxnTest(t)
	var seen string
	res, err := p.SendInTransaction(context.Background(), Message{Body: "hello", GroupID: "g"}, func(ctx context.Context) error {
		seen = TransactionID(ctx)
		return nil
	})
	if err != nil || res.MessageID != "m-1" || seen != "tx-1" {
		t.Fatalf("result %+v, err %v, local step saw %q", res, err, seen)
	}
	if strings.Join(s.calls, ",") != "SendHalfMessage,EndTransaction:COMMIT" || s.unsigned != 0 {
		t.Fatalf("calls %v, %d unsigned", s.calls, s.unsigned)
	}
	if s.halfBody["MessageBody"] != "hello" || s.halfBody["MessageGroupId"] != "g" || s.halfBody["QueueUrl"] != url {
		t.Fatalf("SendHalfMessage body %v", s.halfBody)
	}
	if e := s.endBodies[0]; e["TransactionId"] != "tx-1" || e["QueueUrl"] != url || len(e) != 3 {
		t.Fatalf("EndTransaction body %v", e)
	}
}

func TestSendInTransactionRollsBack(t *testing.T) {
	s, p, _ := newTxnTest(t)
	local := errors.New("local failed")
	_, err := p.SendInTransaction(context.Background(), Message{Body: "hello"}, func(context.Context) error { return local })
	if err != local {
		t.Fatalf("got %v, want the local step's error", err)
	}
	func() {
		defer func() {
			if recover() != "boom" {
				t.Fatal("the panic did not go on")
			}
		}()
		_, _ = p.SendInTransaction(context.Background(), Message{Body: "hello"}, func(context.Context) error { panic("boom") })
	}()
	// A cancelled caller still gets its decision sent.
	ctx, cancel := context.WithCancel(context.Background())
	_, err = p.SendInTransaction(ctx, Message{Body: "hello"}, func(context.Context) error { cancel(); return local })
	if err != local {
		t.Fatalf("got %v after cancel", err)
	}
	want := "SendHalfMessage,EndTransaction:ROLLBACK,SendHalfMessage,EndTransaction:ROLLBACK,SendHalfMessage,EndTransaction:ROLLBACK"
	if strings.Join(s.calls, ",") != want {
		t.Fatalf("calls %v", s.calls)
	}
}

func TestSendInTransactionCommitFailure(t *testing.T) {
	s, p, _ := newTxnTest(t)
	s.failEnd = true
	_, err := p.SendInTransaction(context.Background(), Message{Body: "hello"}, func(context.Context) error { return nil })
	var te *TransactionError
	if !errors.As(err, &te) || te.TransactionID != "tx-1" || !strings.Contains(err.Error(), "TransactionAlreadyRolledBack") {
		t.Fatalf("got %v, want a TransactionError", err)
	}
}
