package sqsapi_test

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Replies are parsed the way SDKs parse them, into the element names the
// SQS API reference shows in its Query examples.
type xmlAttribute struct {
	Name  string `xml:"Name"`
	Value string `xml:"Value"`
}

type xmlMessageAttribute struct {
	Name  string `xml:"Name"`
	Value struct {
		DataType    string `xml:"DataType"`
		StringValue string `xml:"StringValue"`
		BinaryValue string `xml:"BinaryValue"`
	} `xml:"Value"`
}

type xmlMessage struct {
	MessageID         string                `xml:"MessageId"`
	ReceiptHandle     string                `xml:"ReceiptHandle"`
	MD5OfBody         string                `xml:"MD5OfBody"`
	Body              string                `xml:"Body"`
	Attributes        []xmlAttribute        `xml:"Attribute"`
	MD5OfAttributes   string                `xml:"MD5OfMessageAttributes"`
	MessageAttributes []xmlMessageAttribute `xml:"MessageAttribute"`
}

type xmlReply struct {
	XMLName xml.Name
	Result  struct {
		QueueURL   string         `xml:"QueueUrl"`
		Attributes []xmlAttribute `xml:"Attribute"`
		Tags       []struct {
			Key   string `xml:"Key"`
			Value string `xml:"Value"`
		} `xml:"Tag"`
		MessageID        string       `xml:"MessageId"`
		MD5OfMessageBody string       `xml:"MD5OfMessageBody"`
		MD5OfAttributes  string       `xml:"MD5OfMessageAttributes"`
		Messages         []xmlMessage `xml:"Message"`
		SendEntries      []struct {
			ID        string `xml:"Id"`
			MessageID string `xml:"MessageId"`
		} `xml:"SendMessageBatchResultEntry"`
		DeleteEntries []struct {
			ID string `xml:"Id"`
		} `xml:"DeleteMessageBatchResultEntry"`
		Failed []struct {
			ID          string `xml:"Id"`
			Code        string `xml:"Code"`
			SenderFault bool   `xml:"SenderFault"`
		} `xml:"BatchResultErrorEntry"`
	} `xml:",any"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

type xmlError struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

func readXML(t *testing.T, resp *http.Response, wantStatus int, into any) {
	t.Helper()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != wantStatus {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, wantStatus, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/xml" {
		t.Fatalf("Content-Type = %q", ct)
	}
	if !strings.Contains(string(body), `xmlns="http://queue.amazonaws.com/doc/2012-11-05/"`) {
		t.Fatalf("reply lacks the SQS namespace: %s", body)
	}
	if err := xml.Unmarshal(body, into); err != nil {
		t.Fatalf("reply is not XML: %v\n%s", err, body)
	}
}

func action(name string, kv ...string) url.Values {
	v := url.Values{"Action": {name}, "Version": {"2012-11-05"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// TestQueryProtocol drives the Query protocol with form posts as older
// SDKs send them and checks the XML replies.
func TestQueryProtocol(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *server) {
		var r xmlReply
		readXML(t, s.queryPost(t, "KEYA", action("CreateQueue", "QueueName", "q1",
			"Attribute.1.Name", "VisibilityTimeout", "Attribute.1.Value", "40",
			"Tag.1.Key", "team", "Tag.1.Value", "a")), 200, &r)
		if r.XMLName.Local != "CreateQueueResponse" || r.RequestID == "" || !strings.HasSuffix(r.Result.QueueURL, "/"+accountA+"/q1") {
			t.Fatalf("CreateQueue reply = %+v", r)
		}
		q := r.Result.QueueURL

		r = xmlReply{}
		readXML(t, s.queryPost(t, "KEYA", action("GetQueueAttributes", "QueueUrl", q, "AttributeName.1", "VisibilityTimeout", "AttributeName.2", "QueueArn")), 200, &r)
		if len(r.Result.Attributes) != 2 {
			t.Fatalf("attributes = %+v", r.Result.Attributes)
		}

		r = xmlReply{}
		readXML(t, s.queryPost(t, "KEYA", action("ListQueueTags", "QueueUrl", q)), 200, &r)
		if len(r.Result.Tags) != 1 || r.Result.Tags[0].Key != "team" {
			t.Fatalf("tags = %+v", r.Result.Tags)
		}

		r = xmlReply{}
		body := "line1\r\nline2 <&> \u00e9"
		readXML(t, s.queryPost(t, "KEYA", action("SendMessage", "QueueUrl", q, "MessageBody", body,
			"MessageAttribute.1.Name", "n", "MessageAttribute.1.Value.DataType", "Number", "MessageAttribute.1.Value.StringValue", "7",
			"MessageAttribute.2.Name", "b", "MessageAttribute.2.Value.DataType", "Binary", "MessageAttribute.2.Value.BinaryValue", "AAEC")), 200, &r)
		// Digests from SQS's algorithm, as the JSON test's SDK checks them.
		if r.Result.MessageID == "" || r.Result.MD5OfMessageBody == "" || r.Result.MD5OfAttributes == "" {
			t.Fatalf("SendMessage reply = %+v", r.Result)
		}
		sentID := r.Result.MessageID

		r = xmlReply{}
		readXML(t, s.queryPost(t, "KEYA", action("ReceiveMessage", "QueueUrl", q, "AttributeName.1", "All", "MessageAttributeName.1", "All", "MaxNumberOfMessages", "10")), 200, &r)
		if len(r.Result.Messages) != 1 {
			t.Fatalf("messages = %+v", r.Result.Messages)
		}
		m := r.Result.Messages[0]
		if m.MessageID != sentID || m.Body != body || len(m.MessageAttributes) != 2 || len(m.Attributes) < 4 || m.ReceiptHandle == "" {
			t.Fatalf("message = %+v", m)
		}
		if m.MessageAttributes[0].Name != "b" || m.MessageAttributes[0].Value.BinaryValue != "AAEC" || m.MessageAttributes[1].Value.StringValue != "7" {
			t.Fatalf("message attributes = %+v", m.MessageAttributes)
		}

		r = xmlReply{}
		readXML(t, s.queryPost(t, "KEYA", action("DeleteMessageBatch", "QueueUrl", q,
			"DeleteMessageBatchRequestEntry.1.Id", "ok", "DeleteMessageBatchRequestEntry.1.ReceiptHandle", m.ReceiptHandle,
			"DeleteMessageBatchRequestEntry.2.Id", "bad", "DeleteMessageBatchRequestEntry.2.ReceiptHandle", "xyz")), 200, &r)
		if len(r.Result.DeleteEntries) != 1 || r.Result.DeleteEntries[0].ID != "ok" || len(r.Result.Failed) != 1 ||
			r.Result.Failed[0].Code != "ReceiptHandleIsInvalid" || !r.Result.Failed[0].SenderFault {
			t.Fatalf("DeleteMessageBatch = %+v", r.Result)
		}

		r = xmlReply{}
		readXML(t, s.queryPost(t, "KEYA", action("SendMessageBatch", "QueueUrl", q,
			"SendMessageBatchRequestEntry.1.Id", "a", "SendMessageBatchRequestEntry.1.MessageBody", "one",
			"SendMessageBatchRequestEntry.2.Id", "b", "SendMessageBatchRequestEntry.2.MessageBody", "two", "SendMessageBatchRequestEntry.2.DelaySeconds", "5")), 200, &r)
		if len(r.Result.SendEntries) != 2 {
			t.Fatalf("SendMessageBatch = %+v", r.Result)
		}

		r = xmlReply{}
		readXML(t, s.queryPost(t, "KEYA", action("DeleteQueue", "QueueUrl", q)), 200, &r)
		if r.XMLName.Local != "DeleteQueueResponse" || r.RequestID == "" {
			t.Fatalf("DeleteQueue reply = %+v", r)
		}
	})
}

func TestQueryErrors(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *server) {
		cases := []struct {
			name   string
			params url.Values
			status int
			code   string
		}{
			{"missing queue", action("GetQueueUrl", "QueueName", "none"), 400, "AWS.SimpleQueueService.NonExistentQueue"},
			{"unknown action", action("FlyToTheMoon"), 400, "InvalidAction"},
			{"no action", url.Values{"QueueName": {"x"}}, 400, "MissingAction"},
			{"wrong version", url.Values{"Action": {"ListQueues"}, "Version": {"2008-01-01"}}, 400, "NoSuchVersion"},
			{"missing name", action("CreateQueue"), 400, "MissingParameter"},
			{"not an integer", action("ReceiveMessage", "QueueUrl", "/"+accountA+"/x", "MaxNumberOfMessages", "ten"), 400, "InvalidParameterValue"},
			{"bad receipt", action("ChangeMessageVisibility", "QueueUrl", "/"+accountA+"/x", "ReceiptHandle", "x"), 400, "MissingParameter"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var e xmlError
				readXML(t, s.queryPost(t, "KEYA", tc.params), tc.status, &e)
				if e.Error.Code != tc.code || e.Error.Type != "Sender" || e.Error.Message == "" || e.RequestID == "" {
					t.Fatalf("error = %+v, want code %s", e, tc.code)
				}
			})
		}
	})
}

// TestQueueURLInPath: old Query clients post to the queue URL itself.
func TestQueueURLInPath(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *server) {
		var r xmlReply
		readXML(t, s.queryPost(t, "KEYA", action("CreateQueue", "QueueName", "by-path")), 200, &r)
		req, _ := http.NewRequest(http.MethodPost, r.Result.QueueURL, strings.NewReader(action("SendMessage", "MessageBody", "via path").Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=KEYA/20261121/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0")
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		r = xmlReply{}
		readXML(t, resp, 200, &r)
		if r.Result.MessageID == "" {
			t.Fatalf("SendMessage by path = %+v", r)
		}
	})
}
