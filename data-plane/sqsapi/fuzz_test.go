package sqsapi_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

var fuzzActions = []string{
	"CreateQueue", "GetQueueUrl", "ListQueues", "DeleteQueue", "GetQueueAttributes",
	"SetQueueAttributes", "PurgeQueue", "ListDeadLetterSourceQueues", "TagQueue", "UntagQueue",
	"ListQueueTags", "AddPermission", "RemovePermission", "SendMessage", "SendMessageBatch",
	"ReceiveMessage", "DeleteMessage", "DeleteMessageBatch", "ChangeMessageVisibility",
	"ChangeMessageVisibilityBatch", "StartMessageMoveTask", "ListMessageMoveTasks", "CancelMessageMoveTask",
}

// fuzzHandler serves every fuzzed request: a bad request must get an SQS
// error (4xx) in the request's protocol, never a panic or a 500.
func fuzzHandler(f *testing.F) http.Handler {
	h, e := newHandler(f, kvtest.OpenLocal(f))
	// A queue for requests that name it to reach deeper than "no such queue".
	if _, err := e.Catalog().Create(ctx, refA("fuzz"), nil, nil); err != nil {
		f.Fatal(err)
	}
	return h
}

// serveFuzz answers req and checks the reply is one SQS could send for
// action in the request's protocol: a JSON object (with __type and message
// on errors) or an XML {Action}Response or ErrorResponse.
func serveFuzz(t *testing.T, h http.Handler, req *http.Request, action string) {
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=KEYA/20261121/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK && (rec.Code < 400 || rec.Code >= 500) {
		t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
	}
	requestID := rec.Header().Get("x-amzn-RequestId")
	if requestID == "" {
		t.Fatal("reply without x-amzn-RequestId")
	}
	if req.Header.Get("X-Amz-Target") != "" {
		checkJSONReply(t, rec)
	} else {
		checkXMLReply(t, rec, action, requestID)
	}
}

func checkJSONReply(t *testing.T, rec *httptest.ResponseRecorder) {
	if ct := rec.Header().Get("Content-Type"); ct != "application/x-amz-json-1.0" {
		t.Fatalf("Content-Type %q: %s", ct, rec.Body.String())
	}
	var reply map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &reply); err != nil {
		t.Fatalf("status %d, reply is not a JSON object (%v): %s", rec.Code, err, rec.Body.String())
	}
	if rec.Code == http.StatusOK {
		return
	}
	typ, _ := reply["__type"].(string)
	namespace, shape, _ := strings.Cut(typ, "#")
	if namespace != "com.amazonaws.sqs" && namespace != "com.amazon.coral.service" || shape == "" {
		t.Fatalf("status %d, error __type %q: %s", rec.Code, typ, rec.Body.String())
	}
	if msg, ok := reply["message"].(string); !ok || msg == "" {
		t.Fatalf("status %d, error without a message: %s", rec.Code, rec.Body.String())
	}
}

func checkXMLReply(t *testing.T, rec *httptest.ResponseRecorder, action, requestID string) {
	if ct := rec.Header().Get("Content-Type"); ct != "text/xml" {
		t.Fatalf("Content-Type %q: %s", ct, rec.Body.String())
	}
	// Well-formed: every token decodes, one root element.
	d := xml.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	var root xml.Name
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reply is not well-formed XML (%v): %s", err, rec.Body.String())
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				root = tok.Name
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if roots != 1 || root.Space != "http://queue.amazonaws.com/doc/2012-11-05/" {
		t.Fatalf("reply has %d root elements, the first %v: %s", roots, root, rec.Body.String())
	}
	if rec.Code == http.StatusOK {
		var ok struct {
			XMLName   xml.Name
			RequestID string `xml:"ResponseMetadata>RequestId"`
		}
		if err := xml.Unmarshal(rec.Body.Bytes(), &ok); err != nil || ok.XMLName.Local != action+"Response" || ok.RequestID != requestID {
			t.Fatalf("reply to %s is not a %sResponse with its request id (%v): %s", action, action, err, rec.Body.String())
		}
		return
	}
	var e xmlError
	if err := xml.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Type != "Sender" || e.Error.Code == "" || e.Error.Message == "" || e.RequestID != requestID {
		t.Fatalf("status %d, not an SQS ErrorResponse (%v): %s", rec.Code, err, rec.Body.String())
	}
}

// FuzzJSONRequest sends arbitrary JSON bodies to every action.
func FuzzJSONRequest(f *testing.F) {
	for i, a := range fuzzActions {
		_ = a
		f.Add(uint8(i), []byte(`{"QueueUrl":"/111111111111/fuzz","MessageBody":"x","Entries":[{"Id":"a","MessageBody":"b","ReceiptHandle":"c","VisibilityTimeout":1}]}`))
	}
	f.Add(uint8(0), []byte(`{"QueueName":"q","Attributes":{"RedrivePolicy":"{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:111111111111:fuzz\",\"maxReceiveCount\":1}"},"tags":{"a":"b"}}`))
	f.Add(uint8(13), []byte(`{"QueueUrl":"/111111111111/fuzz","MessageBody":"x","MessageAttributes":{"n":{"DataType":"Number","StringValue":"1e999"},"b":{"DataType":"Binary","BinaryValue":"AAE="}}}`))
	f.Add(uint8(15), []byte(`{"QueueUrl":"/111111111111/fuzz","MaxNumberOfMessages":10,"WaitTimeSeconds":0,"AttributeNames":["All"]}`))
	f.Add(uint8(20), []byte(`{"SourceArn":"arn:aws:sqs:us-east-1:111111111111:fuzz","MaxNumberOfMessagesPerSecond":0}`))
	f.Add(uint8(3), []byte(`{"QueueUrl":"http://x/111111111111/fuzz/extra"}`))
	f.Add(uint8(1), []byte(`[1,2,3]`))
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		action := fuzzActions[int(which)%len(fuzzActions)]
		if action == "DeleteQueue" || action == "PurgeQueue" {
			body = bytes.ReplaceAll(body, []byte("fuzz"), []byte("other"))
		}
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("X-Amz-Target", "AmazonSQS."+action)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		serveFuzz(t, h, req, action)
	})
}

// FuzzQueryRequest sends arbitrary form bodies to every action.
func FuzzQueryRequest(f *testing.F) {
	seeds := []string{
		"QueueUrl=/111111111111/fuzz&MessageBody=x&MessageAttribute.1.Name=a&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=v",
		"QueueUrl=/111111111111/fuzz&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=b&SendMessageBatchRequestEntry.2.Id=a",
		"QueueName=q&Attribute.1.Name=DelaySeconds&Attribute.1.Value=5&Tag.1.Key=k&Tag.1.Value=v",
		"QueueUrl=/111111111111/fuzz&AttributeName.1=All&MaxNumberOfMessages=99999999999999999999",
		"QueueUrl=/111111111111/fuzz&DeleteMessageBatchRequestEntry.0.Id=a&DeleteMessageBatchRequestEntry.-1.Id=b&DeleteMessageBatchRequestEntry.x.Id=c",
		"QueueUrl=/111111111111/fuzz&MessageBody=x&MessageAttribute.1.Value.BinaryValue=!!notbase64",
		"%zz=1&QueueUrl",
	}
	for i := range fuzzActions {
		for _, s := range seeds {
			if i%5 == 0 || slices.Index(seeds, s) == i%len(seeds) {
				f.Add(uint8(i), s)
			}
		}
	}
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, which uint8, form string) {
		action := fuzzActions[int(which)%len(fuzzActions)]
		if action == "DeleteQueue" || action == "PurgeQueue" {
			return // would remove the seeded queue and make later inputs shallow
		}
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader([]byte("Action="+action+"&Version=2012-11-05&"+form)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		serveFuzz(t, h, req, action)
	})
}
